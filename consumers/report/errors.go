package report

import "errors"

// ErrUnknownFormat is returned by Render for a format not in [Formats].
var ErrUnknownFormat = errors.New("unknown report format")
