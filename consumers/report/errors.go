package report

import "errors"

// ErrUnknownFormat is returned by Render for a format not in [Formats].
var ErrUnknownFormat = errors.New("unknown report format")

// ErrInvalidConfig is returned by [NewHandler] for a configuration that
// cannot work.
var ErrInvalidConfig = errors.New("invalid report configuration")
