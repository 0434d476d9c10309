package sheet

import (
	"fmt"
	"time"

	"github.com/keyproject/kpp/schema"
)

// Defaults of [Options].
const (
	// DefaultMaxRows is the most report rows one upload may hold.
	DefaultMaxRows = 5000
	// DefaultMaxBytes is the largest file the reader accepts (16 MiB); the
	// HTTP intake usually enforces a lower limit before the reader sees the
	// file.
	DefaultMaxBytes = 16 << 20
	// DefaultMaxUnzippedBytes is the most an .xlsx file may expand to when
	// unzipped (64 MiB), a guard against zip bombs. A 5000-row report sheet
	// unzips to about 3 MiB.
	DefaultMaxUnzippedBytes = 64 << 20
	// DefaultMaxCells is the most cells with a value the report sheet may
	// hold (250,000: 5000 rows of 50 columns).
	DefaultMaxCells = 250_000
	// HeaderSearchRows is how many rows from the top of a sheet are searched
	// for the header row (title rows, 填报单位 and 单位 lines come first).
	HeaderSearchRows = 30
)

// Options configures [Read] and [ReadUpload]. The zero value is usable;
// every field documents its default.
type Options struct {
	// DepartmentID is the signed-in department. Records get it when the
	// sheet has no department column (部门编号); when the sheet has one,
	// every filled cell of it must equal DepartmentID. Default "": the sheet
	// must then have a department column.
	DepartmentID string
	// ReportedBy fills empty 填报人 cells (and stands for a missing 填报人
	// column). Default "": every row needs its 填报人.
	ReportedBy string
	// Source is recorded on every event (schema.Common.Source). Default
	// "xlsx" for workbooks and "csv" for CSV files.
	Source string
	// Sheet names the worksheet to read. Default "": the sheet named 月报,
	// else the first sheet that has a header row.
	Sheet string
	// MaxRows is the most report rows (non-blank rows below the header,
	// total rows aside) an upload may hold. Default [DefaultMaxRows] (5000).
	MaxRows int
	// MaxBytes is the largest file accepted. Default [DefaultMaxBytes].
	MaxBytes int64
	// MaxUnzippedBytes is the most an .xlsx file may unzip to (the sizes
	// its parts declare, which unzipping enforces). Default
	// [DefaultMaxUnzippedBytes].
	MaxUnzippedBytes int64
	// MaxCells is the most cells with a value the sheet read may hold, and
	// the most strings the workbook's shared-strings table may hold.
	// Default [DefaultMaxCells].
	MaxCells int
	// Now is the clock against which periods are checked (a month that has
	// not started yet is refused). Default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.MaxRows == 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxUnzippedBytes == 0 {
		o.MaxUnzippedBytes = DefaultMaxUnzippedBytes
	}
	if o.MaxCells == 0 {
		o.MaxCells = DefaultMaxCells
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Validate reports a setting out of range, after defaults are applied.
func (o Options) Validate() error {
	o = o.withDefaults()
	switch {
	case o.DepartmentID != "" && !schema.ValidIdentifier(o.DepartmentID):
		return fmt.Errorf("%w: DepartmentID %q is not a department id; expected lower-case letters, digits, '-' or '_', e.g. qy-jtj", ErrOptions, o.DepartmentID)
	case o.Source != "" && !schema.ValidIdentifier(o.Source):
		return fmt.Errorf("%w: Source %q is not a source name; expected lower-case letters such as xlsx, csv, web", ErrOptions, o.Source)
	case o.MaxRows < 1:
		return fmt.Errorf("%w: MaxRows %d is below 1; expected a positive row limit (0 means %d)", ErrOptions, o.MaxRows, DefaultMaxRows)
	case o.MaxBytes < 1:
		return fmt.Errorf("%w: MaxBytes %d is below 1; expected a positive size in bytes (0 means %d)", ErrOptions, o.MaxBytes, DefaultMaxBytes)
	case o.MaxUnzippedBytes < 1:
		return fmt.Errorf("%w: MaxUnzippedBytes %d is below 1; expected a positive size in bytes (0 means %d)", ErrOptions, o.MaxUnzippedBytes, DefaultMaxUnzippedBytes)
	case o.MaxCells < 1:
		return fmt.Errorf("%w: MaxCells %d is below 1; expected a positive number of cells (0 means %d)", ErrOptions, o.MaxCells, DefaultMaxCells)
	}
	return nil
}
