package submit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/keyproject/kpp/schema"
)

// Format is the format of an input file.
type Format string

// The input formats.
const (
	// FormatJSONL is JSON Lines (.jsonl, .ndjson): one event object per
	// line, its kind named by its "schema" field.
	FormatJSONL Format = "jsonl"
	// FormatCSV is CSV (.csv, UTF-8, optional BOM): one kind per file, told
	// by the header row.
	FormatCSV Format = "csv"
	// FormatEvents marks events handed to [Publisher.PublishEvents].
	FormatEvents Format = "events"
)

// FormatOf tells the format of a file by its extension (case-insensitive).
func FormatOf(path string) (Format, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".jsonl", ".ndjson":
		return FormatJSONL, nil
	case ".csv":
		return FormatCSV, nil
	default:
		if ext == "" {
			ext = "(none)"
		}
		return "", fmt.Errorf("%w: %s has extension %s; expected .jsonl, .ndjson or .csv", ErrUnsupportedFormat, path, ext)
	}
}

// Record is one event read from an input, with where it came from.
type Record struct {
	// Line is the 1-based line the record starts on (for CSV, the row's
	// first line; for events, the position in the slice).
	Line int
	// Event is the decoded event; nil when the record could not be decoded.
	// A record with Problems may still have the event as far as it was
	// read, so that checks needing the whole event (such as the intake's
	// against the stored months) report their problems in the same pass;
	// such an event is never published.
	Event schema.Event
	// Problems are the record's problems. A JSON record's are its decoding
	// problems, validation comes later; a CSV or sheet row's include the
	// validation of the rest of the row, so that one pass lists them all.
	Problems []schema.FieldError
}

// Input is one file's records, read but not yet validated.
type Input struct {
	// Name is the file name as given, used in problems and the receipt.
	Name string
	// Format is the file's format.
	Format Format
	// Records are the file's records in line order.
	Records []Record
	// Problems concern the file as a whole or its header; when there are
	// any, nothing from the file is published.
	Problems []Problem
}

// ReadFile reads a JSON Lines or CSV file. Problems of content (a bad line,
// an unknown column, even an unsupported extension or a missing file) are
// recorded in the Input, so that they are reported with the others; the
// error is for I/O failures while reading.
func ReadFile(path string) (*Input, error) {
	f, err := FormatOf(path)
	if err != nil {
		ext := filepath.Ext(path)
		if ext == "" {
			ext = "no extension"
		}
		return fileProblem(path, "", "has "+ext+"; expected .jsonl, .ndjson or .csv (save a spreadsheet as \"CSV UTF-8\")",
			"不支持的文件类型（"+ext+"），应为 .jsonl、.ndjson 或 .csv（电子表格请另存为“CSV UTF-8”）"), nil
	}
	fh, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
			return fileProblem(path, f, "cannot open: "+err.Error(), "无法打开文件："+err.Error()), nil
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer fh.Close()
	return Read(path, f, fh)
}

func fileProblem(name string, f Format, en, zh string) *Input {
	return &Input{Name: name, Format: f, Problems: []Problem{{File: name, FieldError: schema.FieldError{
		Rule: RuleFile, MessageEn: en, MessageZh: zh}}}}
}

// Read reads an input of the given format from r; name is used in
// problems. See the package documentation for the formats.
func Read(name string, f Format, r io.Reader) (*Input, error) {
	switch f {
	case FormatJSONL:
		return readJSONL(name, r)
	case FormatCSV:
		return readCSV(name, r)
	}
	return nil, fmt.Errorf("%w: %q (expected jsonl or csv)", ErrUnsupportedFormat, f)
}

var bom = []byte("\uFEFF")

func readJSONL(name string, r io.Reader) (*Input, error) {
	in := &Input{Name: name, Format: FormatJSONL}
	br := bufio.NewReader(r)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read %s line %d: %w", name, line, err)
		}
		if line == 1 {
			b = bytes.TrimPrefix(b, bom)
		}
		if t := bytes.TrimSpace(b); len(t) > 0 {
			ev, derr := schema.DecodeAny(t)
			rec := Record{Line: line, Event: ev, Problems: fieldErrors(derr)}
			if derr != nil {
				rec.Event = nil
			}
			in.Records = append(in.Records, rec)
		}
		if err != nil { // io.EOF
			return in, nil
		}
	}
}
