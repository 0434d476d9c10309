package sheet_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/keyproject/kpp/producers/sheet"
	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

var update = flag.Bool("update", false, "regenerate the fixtures in testdata/sheet")

// now is the clock of every test: the October 2025 reporting round.
var now = time.Date(2025, 10, 20, 10, 0, 0, 0, schema.Location())

const fixtureDir = "../../testdata/sheet"

// fixture returns the bytes of testdata/sheet/name; with -update it first
// writes them with build.
func fixture(t *testing.T, name string, build func(t *testing.T) []byte) []byte {
	t.Helper()
	path := filepath.Join(fixtureDir, name)
	if *update {
		if err := os.WriteFile(path, build(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("fixture %s: %v (regenerate with: go test ./producers/sheet -update)", name, err)
	}
	return b
}

// opts are the reader options of the tests: signed in as qy-jtj.
func opts() sheet.Options {
	return sheet.Options{DepartmentID: "qy-jtj", Now: func() time.Time { return now }}
}

func read(t *testing.T, name string, data []byte, o sheet.Options) *sheet.Upload {
	t.Helper()
	up, err := sheet.ReadUpload(name, bytes.NewReader(data), o)
	if err != nil {
		t.Fatalf("ReadUpload(%s): %v", name, err)
	}
	return up
}

// report is an investment report of qy-jtj as the reader makes it.
func report(project, period, month, ytd, since, by string) *schema.InvestmentReport {
	r := &schema.InvestmentReport{
		Common:            schema.Common{Schema: schema.SchemaInvestment, DepartmentID: "qy-jtj", Revision: 1, ReportedBy: by, Source: "xlsx"},
		ProjectID:         project,
		Period:            period,
		MonthCompletedWan: schema.MustWan(month),
		YTDCompletedWan:   schema.MustWan(ytd),
	}
	if since != "" {
		r.SinceStartCompletedWan = schema.MustWan(since)
	}
	return r
}

// wantRecords checks that the upload read exactly the events, at the
// lines, without problems.
func wantRecords(t *testing.T, up *sheet.Upload, lines []int, want ...*schema.InvestmentReport) {
	t.Helper()
	in := up.Input
	if len(in.Problems) > 0 {
		t.Fatalf("file problems: %v", in.Problems)
	}
	if len(in.Records) != len(want) {
		t.Fatalf("read %d records; want %d: %s", len(in.Records), len(want), recordsText(in))
	}
	for i, rec := range in.Records {
		if len(rec.Problems) > 0 || rec.Event == nil {
			t.Fatalf("record %d (line %d) has problems: %v", i, rec.Line, rec.Problems)
		}
		got, _ := json.Marshal(rec.Event)
		exp, _ := json.Marshal(want[i])
		if string(got) != string(exp) {
			t.Errorf("record %d (line %d):\n got %s\nwant %s", i, rec.Line, got, exp)
		}
		if lines != nil && rec.Line != lines[i] {
			t.Errorf("record %d: line %d; want %d", i, rec.Line, lines[i])
		}
	}
}

func recordsText(in *submit.Input) string {
	var b strings.Builder
	for _, r := range in.Records {
		ev, _ := json.Marshal(r.Event)
		b.WriteString("\n  line " + itoa(r.Line) + ": " + string(ev))
		for _, p := range r.Problems {
			b.WriteString("\n    " + p.Field + ": " + p.MessageEn)
		}
	}
	return b.String()
}

// problems renders every problem of the upload as submit renders them.
func problems(up *sheet.Upload) []string {
	var out []string
	for _, p := range up.Input.Problems {
		out = append(out, p.String())
	}
	for _, r := range up.Input.Records {
		for _, fe := range r.Problems {
			out = append(out, submit.Problem{File: up.Input.Name, Line: r.Line, FieldError: fe}.String())
		}
	}
	return out
}

// wantProblems checks the rendered problems exactly, and that no record
// of the file could be published.
func wantProblems(t *testing.T, up *sheet.Upload, want ...string) {
	t.Helper()
	got := problems(up)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

func itoa(i int) string { return decimal.NewFromInt(int64(i)).String() }

func dec(s string) *decimal.Decimal {
	d := decimal.RequireFromString(s)
	return &d
}

// book is a workbook under construction in a test.
type book struct {
	t     *testing.T
	f     *excelize.File
	sheet string
}

func newBook(t *testing.T, sheetName string) *book {
	t.Helper()
	f := excelize.NewFile()
	if sheetName != "Sheet1" {
		if err := f.SetSheetName("Sheet1", sheetName); err != nil {
			t.Fatal(err)
		}
	}
	return &book{t: t, f: f, sheet: sheetName}
}

func openBook(t *testing.T, data []byte) *book {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return &book{t: t, f: f, sheet: sheet.TemplateSheet}
}

// row writes values from column A of the row: a string is a text cell, a
// float64 or int a number cell, a time.Time a date cell, nil nothing.
func (b *book) row(r int, vals ...any) *book {
	b.t.Helper()
	for i, v := range vals {
		if v == nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(i+1, r)
		if err := b.f.SetCellValue(b.sheet, cell, v); err != nil {
			b.t.Fatal(err)
		}
	}
	return b
}

// set writes one cell: see row.
func (b *book) set(cell string, v any) *book {
	b.t.Helper()
	if err := b.f.SetCellValue(b.sheet, cell, v); err != nil {
		b.t.Fatal(err)
	}
	return b
}

// raw writes a number cell with exactly these digits, as Excel stores them.
func (b *book) raw(cell, digits string) *book {
	b.t.Helper()
	if err := b.f.SetCellDefault(b.sheet, cell, digits); err != nil {
		b.t.Fatal(err)
	}
	return b
}

func (b *book) formula(cell, f string) *book {
	b.t.Helper()
	if err := b.f.SetCellFormula(b.sheet, cell, f); err != nil {
		b.t.Fatal(err)
	}
	return b
}

func (b *book) merge(from, to string) *book {
	b.t.Helper()
	if err := b.f.MergeCell(b.sheet, from, to); err != nil {
		b.t.Fatal(err)
	}
	return b
}

func (b *book) bytes() []byte {
	b.t.Helper()
	var buf bytes.Buffer
	if err := b.f.Write(&buf); err != nil {
		b.t.Fatal(err)
	}
	_ = b.f.Close()
	return buf.Bytes()
}

// header is the template's header row as []any.
func header() []any {
	out := make([]any, 0, 11)
	for _, h := range sheet.TemplateColumns()[:11] {
		out = append(out, h)
	}
	return out
}

type sheetOptions = sheet.Options

// ropts returns opts() changed by edit.
func ropts(edit func(*sheetOptions)) sheet.Options {
	o := opts()
	edit(&o)
	return o
}
