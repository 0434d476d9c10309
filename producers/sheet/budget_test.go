package sheet_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/producers/sheet"
)

// bombXLSX writes, by hand, a workbook whose sheet 月报 has the header in
// row 1 and then rows of the same cells until the sheet's XML is at least
// sheetBytes long: a few hundred KiB that inflate to sheetBytes. row is the
// XML of one row (without r attributes, so that every row is the same and
// deflate packs it ~1000:1).
func bombXLSX(t testing.TB, sheetBytes int, row string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	part := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			t.Fatal(err)
		}
	}
	part("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)
	part("_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	part("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="月报" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	part("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	head := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">` +
		inline("A1", "项目编号") + inline("B1", "报告期") + inline("C1", "本月完成投资（万元）") + inline("D1", "本年累计完成（万元）") + inline("E1", "填报人") + `</row>`
	n, _ := io.WriteString(w, head)
	chunk := strings.Repeat(row, max(1, 64<<10/len(row)))
	for n < sheetBytes {
		m, err := io.WriteString(w, chunk)
		if err != nil {
			t.Fatal(err)
		}
		n += m
	}
	_, _ = io.WriteString(w, `</sheetData></worksheet>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func inline(ref, s string) string {
	return `<c r="` + ref + `" t="inlineStr"><is><t>` + s + `</t></is></c>`
}

// bombRow is a complete report row, the same every time.
const bombRow = `<row><c t="inlineStr"><is><t>p-1</t></is></c><c t="inlineStr"><is><t>2025-09</t></is></c><c><v>1</v></c><c><v>1</v></c><c t="inlineStr"><is><t>李强</t></is></c></row>`

// peak reads the bomb in a child process (this test binary, running
// TestReadBombChild) and returns its problems and its peak resident
// memory in MiB. Running it apart keeps the measure clean of the other
// tests' memory.
func peak(t *testing.T, data []byte, env ...string) (out string, rssMiB float64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bomb.xlsx")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestReadBombChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), append([]string{"KPP_BOMB_FILE=" + path}, env...)...)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, b)
	}
	out = string(b)
	_, hwm, ok := strings.Cut(out, "PEAK ")
	kib, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(hwm, "\n", 2)[0]))
	if !ok || err != nil {
		t.Fatalf("the child told no peak: %s", out)
	}
	return out, float64(kib) / 1024
}

// vmHWM is the process's peak resident memory in KiB (VmHWM, Linux; an
// exec starts it afresh, unlike the rusage of a forked child).
func vmHWM(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no VmHWM in /proc/self/status")
	return 0
}

// TestReadBombChild is the child of peak; it does nothing in a normal run.
func TestReadBombChild(t *testing.T) {
	path := os.Getenv("KPP_BOMB_FILE")
	if path == "" {
		t.Skip("runs as the child of the bomb tests")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	o := opts()
	if v := os.Getenv("KPP_BOMB_MAX_UNZIPPED"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		o.MaxUnzippedBytes = n
	}
	if v := os.Getenv("KPP_BOMB_MAX_CELLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatal(err)
		}
		o.MaxCells = n
	}
	up := read(t, "bomb.xlsx", data, o)
	for _, p := range problems(up) {
		fmt.Println("PROBLEM", p)
	}
	for _, p := range up.Input.Problems {
		fmt.Println("RULE", p.Rule)
	}
	fmt.Println("RECORDS", len(up.Input.Records))
	fmt.Println("PEAK", vmHWM(t))
}

// rssBound is the peak resident memory a child reading a bomb may reach:
// the test binary itself takes about 20 MiB. Before the budgets, a sheet
// inflating to 16 MiB took 646 MiB (and 47 s), one inflating to 250 MB
// more than 1 GB.
const rssBound = 64

func wantRefused(t *testing.T, out string, rule string, msg ...string) {
	t.Helper()
	if !strings.Contains(out, "RECORDS 0") {
		t.Errorf("records were read:\n%s", out)
	}
	for _, m := range msg {
		if !strings.Contains(out, m) {
			t.Errorf("no %q in\n%s", m, out)
		}
	}
	if !strings.Contains(out, "RULE "+rule) {
		t.Errorf("no problem of rule %s in\n%s", rule, out)
	}
}

// A 250 MB sheet in a ~250 KiB file (issue 9, item 6): refused by its
// declared size before anything is unzipped.
func TestBombRefusedUnzipped(t *testing.T) {
	data := bombXLSX(t, 250<<20, bombRow)
	start := time.Now()
	out, rss := peak(t, data)
	t.Logf("%d KiB file inflating to 250 MiB: refused in %s, peak RSS %.0f MiB", len(data)>>10, time.Since(start), rss)
	wantRefused(t, out, string(sheet.RuleTooLarge),
		"bomb.xlsx: unzips to 2621", "more than the 64 MiB a workbook may expand to", "超过工作簿解压上限64 MiB")
	if rss > rssBound {
		t.Errorf("peak RSS %.0f MiB, want under %d MiB", rss, rssBound)
	}
}

// The same bomb with the unzip budget raised past it: the sheet streams
// from a temporary file, and reading stops at the 250,001st cell with a
// value, about 10 MB into its 250 MB, in bounded memory.
func TestBombStreamedCellBudget(t *testing.T) {
	data := bombXLSX(t, 250<<20, bombRow)
	start := time.Now()
	out, rss := peak(t, data, "KPP_BOMB_MAX_UNZIPPED="+strconv.Itoa(512<<20))
	took := time.Since(start)
	t.Logf("250 MiB sheet, unzip budget 512 MiB: refused in %s, peak RSS %.0f MiB", took, rss)
	wantRefused(t, out, string(sheet.RuleTooLarge),
		"sheet 月报 has more than 250000 cells with a value, the most one upload may hold", "split the rows into several files",
		"工作表“月报”有值的单元格超过250000个")
	if rss > rssBound {
		t.Errorf("peak RSS %.0f MiB, want under %d MiB", rss, rssBound)
	}
	if took > 30*time.Second {
		t.Errorf("took %s: the rest of the sheet was read", took)
	}
}

// A sheet of 60 MiB, within the unzip budget, of rows with one cell
// each: refused at the 250,001st cell.
func TestBombStreamedOneCellRows(t *testing.T) {
	row := `<row><c t="inlineStr"><is><t>p-1</t></is></c></row>`
	data := bombXLSX(t, 60<<20, row)
	out, rss := peak(t, data)
	t.Logf("60 MiB sheet of one-cell rows: peak RSS %.0f MiB", rss)
	wantRefused(t, out, string(sheet.RuleTooLarge), "sheet 月报 has more than 250000 cells with a value")
	if rss > rssBound {
		t.Errorf("peak RSS %.0f MiB, want under %d MiB", rss, rssBound)
	}
}

// 200,000 one-cell rows, within the cell budget: the rows stream, and
// reading stops at the 5,001st report row.
func TestBombStreamedRowBudget(t *testing.T) {
	row := `<row><c t="inlineStr"><is><t>p-1</t></is></c></row>`
	data := bombXLSX(t, 200_000*len(row), row)
	out, rss := peak(t, data)
	t.Logf("200,000 one-cell rows: peak RSS %.0f MiB", rss)
	wantRefused(t, out, string(sheet.RuleTooManyRows),
		"has more than 5000 report rows in sheet 月报 (rows 2-5002 and maybe more: reading stopped at row 5002)", "数据超过5000行")
	if rss > rssBound {
		t.Errorf("peak RSS %.0f MiB, want under %d MiB", rss, rssBound)
	}
}

// One row of 1,000,000 cells (no references, so that excelize would pad
// it): refused at column 257 before the rows are streamed.
func TestBombWideRow(t *testing.T) {
	row := `<row>` + strings.Repeat(`<c><v>1</v></c>`, 1_000_000) + `</row>`
	data := bombXLSX(t, len(row), row)
	out, rss := peak(t, data)
	t.Logf("a row of 1,000,000 cells: peak RSS %.0f MiB", rss)
	wantRefused(t, out, string(sheet.RuleTooLarge),
		"sheet 月报 has a value in cell IW2, beyond column IV (256 columns)", "超出第256列")
	if rss > rssBound {
		t.Errorf("peak RSS %.0f MiB, want under %d MiB", rss, rssBound)
	}
}

// A shared-strings table of 3,000,000 strings (excelize would keep an
// offset for each): refused by the count.
func TestBombSharedStrings(t *testing.T) {
	data := withSharedStrings(t, bombXLSX(t, 1, bombRow), 3_000_000)
	out, rss := peak(t, data)
	t.Logf("3,000,000 shared strings: peak RSS %.0f MiB", rss)
	wantRefused(t, out, string(sheet.RuleTooLarge), "shared-strings table holds more than 250000 strings", "共享字符串超过250000个")
	if rss > rssBound {
		t.Errorf("peak RSS %.0f MiB, want under %d MiB", rss, rssBound)
	}
}

// 4,000 rows with 5 KB of 形象进度 each: 20 MB of text, over the 16 MiB
// text budget.
func TestBombText(t *testing.T) {
	long := strings.Repeat("路基施工", 5000/12)
	row := `<row><c t="inlineStr"><is><t>p-1</t></is></c><c t="inlineStr"><is><t>2025-09</t></is></c><c><v>1</v></c><c><v>1</v></c><c t="inlineStr"><is><t>` + long + `</t></is></c></row>`
	data := bombXLSX(t, 4000*len(row), row)
	up := read(t, "text.xlsx", data, opts())
	wantProblems(t, up, "text.xlsx: the cells of sheet 月报 hold more than 16 MiB of text, the most one upload may hold; expected shorter texts (形象进度, 存在问题, 下步计划), or split the rows into several files (工作表“月报”单元格文字合计超过16 MiB（每次上传的上限）；请精简形象进度、存在问题、下步计划等文字，或拆分为多个文件)")
}

// A normal large sheet, 5,000 report rows made with excelize, still reads
// whole, in bounded memory.
func TestFiveThousandRowsRead(t *testing.T) {
	b := newBook(t, "月报")
	sw, err := b.f.NewStreamWriter("月报")
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{"重点项目月报"}); err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow("A3", header()); err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		if err := sw.SetRow("A"+strconv.Itoa(4+i), []any{"p-" + strconv.Itoa(i), "项目", "2025-09", 100.5, 200.25, 300, "路基完成60%", "征地拆迁滞后", "桥梁施工", "", "李强"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	data := b.bytes()
	up := read(t, "big.xlsx", data, opts())
	if len(up.Input.Problems) != 0 || len(up.Input.Records) != 5000 {
		t.Fatalf("read %d records, problems %v; want 5000 and none", len(up.Input.Records), problems(up))
	}
	if last := up.Input.Records[4999]; last.Line != 5003 || last.Event == nil || last.Event.Project() != "p-4999" {
		t.Fatalf("last record line %d: %+v", last.Line, last)
	}
	out, rss := peak(t, data)
	t.Logf("5,000 rows (%d KiB file): peak RSS %.0f MiB", len(data)>>10, rss)
	if !strings.Contains(out, "RECORDS 5000") || strings.Contains(out, "PROBLEM") {
		t.Errorf("child: %s", out)
	}
	if rss > rssBound {
		t.Errorf("peak RSS %.0f MiB, want under %d MiB", rss, rssBound)
	}
}

// withSharedStrings adds a shared-strings table of n strings to a
// workbook.
func withSharedStrings(t *testing.T, data []byte, n int) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	w, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	si := strings.Repeat(`<si><t>x</t></si>`, 1000)
	for i := 0; i < n; i += 1000 {
		_, _ = io.WriteString(w, si)
	}
	_, _ = io.WriteString(w, `</sst>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
