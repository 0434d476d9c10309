package history

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// Record is one event of an import with its declared submission time.
type Record struct {
	// Line is the 1-based line the record starts on.
	Line int
	// Event is the decoded event; nil when it could not be decoded.
	Event schema.Event
	// SubmittedAt is the declared submission time; zero when missing.
	SubmittedAt time.Time
	// Problems are the reading problems (not yet the checks).
	Problems []schema.FieldError
}

// Input is one file of an import, read but not yet checked.
type Input struct {
	// Name is the file name as given.
	Name string
	// Format is the file's format (jsonl or csv).
	Format submit.Format
	// Records are the file's records in line order.
	Records []Record
	// Problems concern the file as a whole; with any, nothing of it is
	// published.
	Problems []submit.Problem
}

// submittedNames are the accepted names of the declared-time field and
// column.
var submittedNames = []string{"submitted_at", "报送时间"}

// ReadFile reads a JSON Lines (.jsonl, .ndjson) or CSV (.csv) file.
func ReadFile(path string) (*Input, error) {
	f, err := submit.FormatOf(path)
	if err != nil {
		return &Input{Name: path, Problems: []submit.Problem{fileProblem(path,
			"has an unsupported extension; expected .jsonl, .ndjson or .csv (save a spreadsheet as \"CSV UTF-8\")",
			"不支持的文件类型，应为 .jsonl、.ndjson 或 .csv（电子表格请另存为“CSV UTF-8”）")}}, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return &Input{Name: path, Format: f, Problems: []submit.Problem{fileProblem(path, "cannot read: "+err.Error(), "无法读取文件："+err.Error())}}, nil
	}
	return Read(path, f, bytes.NewReader(b))
}

func fileProblem(name, en, zh string) submit.Problem {
	return submit.Problem{File: name, FieldError: schema.FieldError{Rule: submit.RuleFile, MessageEn: en, MessageZh: zh}}
}

// Read reads an import of the given format from r; name is used in
// problems.
func Read(name string, f submit.Format, r io.Reader) (*Input, error) {
	switch f {
	case submit.FormatJSONL:
		return readJSONL(name, r)
	case submit.FormatCSV:
		return readCSV(name, r)
	}
	return nil, fmt.Errorf("%w: %q (expected jsonl or csv)", submit.ErrUnsupportedFormat, f)
}

// ParseSubmittedAt reads a declared submission time: RFC 3339, or a local
// time (Asia/Shanghai) "2006-01-02 15:04:05", "2006-01-02 15:04",
// "2006-01-02T15:04" or a date "2006-01-02" (00:00).
func ParseSubmittedAt(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(schema.Location()), nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, schema.Location()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time", s)
}

func submittedProblem(v string) schema.FieldError {
	return schema.FieldError{Field: "submitted_at", Value: v, Rule: schema.RuleDate,
		MessageZh: "报送时间格式不正确，应为 2025-10-03 09:30 或 2025-10-03T09:30:00+08:00",
		MessageEn: "is not a time; expected 2025-10-03T09:30:00+08:00, 2025-10-03 09:30 (Asia/Shanghai) or 2025-10-03"}
}

func submittedRequired() schema.FieldError {
	return schema.FieldError{Field: "submitted_at", Rule: schema.RuleRequired,
		MessageZh: "导入的历史数据须填写报送时间（submitted_at / 报送时间）",
		MessageEn: "is required: an imported record declares when it was submitted (submitted_at, 报送时间)"}
}

var bom = []byte("\uFEFF")

func readJSONL(name string, r io.Reader) (*Input, error) {
	in := &Input{Name: name, Format: submit.FormatJSONL}
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
			in.Records = append(in.Records, jsonRecord(line, t))
		}
		if err != nil {
			return in, nil
		}
	}
}

// jsonRecord takes submitted_at out of a line and decodes the rest as the
// event it is.
func jsonRecord(line int, b []byte) Record {
	rec := Record{Line: line}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err == nil {
		for _, n := range submittedNames {
			raw, ok := obj[n]
			if !ok {
				continue
			}
			delete(obj, n)
			var s string
			if json.Unmarshal(raw, &s) != nil {
				rec.Problems = append(rec.Problems, submittedProblem(string(raw)))
			} else if t, err := ParseSubmittedAt(s); err != nil {
				rec.Problems = append(rec.Problems, submittedProblem(s))
			} else {
				rec.SubmittedAt = t
			}
		}
		b, _ = json.Marshal(obj)
	}
	ev, err := schema.DecodeAny(b)
	if err != nil {
		rec.Problems = append(rec.Problems, fieldErrors(err)...)
		return rec
	}
	rec.Event = ev
	return rec
}

func fieldErrors(err error) []schema.FieldError {
	var ve *schema.ValidationError
	if errors.As(err, &ve) {
		return ve.Errors
	}
	return []schema.FieldError{{Rule: schema.RuleDecode, MessageZh: "无法解析：" + err.Error(), MessageEn: "cannot decode: " + err.Error()}}
}

// readCSV takes the submitted_at column out of the file and reads the rest
// with kpp submit's CSV reader; rows keep their lines.
func readCSV(name string, r io.Reader) (*Input, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	in := &Input{Name: name, Format: submit.FormatCSV}
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return fromSubmit(in, raw, nil)
	}
	col := -1
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		for _, n := range submittedNames {
			if strings.EqualFold(h, n) {
				col = i
			}
		}
	}
	if col < 0 {
		in.Problems = append(in.Problems, submit.Problem{File: name, Line: 1, FieldError: schema.FieldError{Field: "submitted_at", Rule: submit.RuleColumn,
			MessageEn: "the header has no submitted_at (报送时间) column; expected one: an import declares when each record was submitted",
			MessageZh: "表头缺少“报送时间”（submitted_at）列：导入的历史数据须写明每条的报送时间"}})
		return in, nil
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write(without(head, col))
	type row struct {
		line int
		at   string
	}
	var rows []row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fromSubmit(in, raw, nil)
		}
		line, _ := cr.FieldPos(0)
		rest := without(rec, col)
		if blank(rest) {
			continue
		}
		at := ""
		if col < len(rec) {
			at = strings.TrimSpace(rec[col])
		}
		rows = append(rows, row{line, at})
		_ = cw.Write(rest)
	}
	cw.Flush()
	lines := make([]int, len(rows))
	ats := make([]string, len(rows))
	for i, rw := range rows {
		lines[i], ats[i] = rw.line, rw.at
	}
	in, err = fromSubmit(in, buf.Bytes(), lines)
	if err != nil || len(in.Records) != len(rows) {
		return in, err
	}
	for i := range in.Records {
		rec := &in.Records[i]
		switch t, perr := ParseSubmittedAt(ats[i]); {
		case ats[i] == "":
			rec.Problems = append(rec.Problems, submittedRequired())
		case perr != nil:
			rec.Problems = append(rec.Problems, submittedProblem(ats[i]))
		default:
			rec.SubmittedAt = t
		}
	}
	return in, nil
}

// fromSubmit reads CSV text with kpp submit's reader; lines, when given,
// are the original lines of its data rows.
func fromSubmit(in *Input, text []byte, lines []int) (*Input, error) {
	sin, err := submit.Read(in.Name, submit.FormatCSV, bytes.NewReader(text))
	if err != nil {
		return nil, err
	}
	in.Problems = append(in.Problems, sin.Problems...)
	for i, r := range sin.Records {
		line := r.Line
		if lines != nil && i < len(lines) {
			line = lines[i]
		}
		in.Records = append(in.Records, Record{Line: line, Event: r.Event, Problems: r.Problems})
	}
	return in, nil
}

func without(row []string, col int) []string {
	out := make([]string, 0, len(row))
	for i, c := range row {
		if i != col {
			out = append(out, c)
		}
	}
	return out
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
