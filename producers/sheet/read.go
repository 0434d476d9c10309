package sheet

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// FormatXLSX is the format of records read from an Excel workbook, as
// recorded in submit.Input.Format and the receipt. CSV uploads keep
// submit.FormatCSV.
const FormatXLSX submit.Format = "xlsx"

// Notice tells the clerk something the reader did besides reading, that
// they may want to know: a GBK file converted, amounts converted from 亿元,
// rows skipped. Notices do not stop the upload; show them with the receipt.
type Notice struct {
	// Code names the kind of notice: one of the Notice* constants.
	Code string `json:"code"`
	// MessageEn and MessageZh say what was done, in English and Chinese.
	MessageEn string `json:"message_en"`
	MessageZh string `json:"message_zh"`
}

// String renders the notice in English with the Chinese in parentheses.
func (n Notice) String() string { return n.MessageEn + " (" + n.MessageZh + ")" }

// The notice codes.
const (
	// NoticeConvertedGBK: a CSV file in GBK was converted to UTF-8.
	NoticeConvertedGBK = "converted_gbk"
	// NoticeConvertedUnit: a money column in 亿元, 千元 or 元 was converted
	// to 万元.
	NoticeConvertedUnit = "converted_unit"
	// NoticeSkippedEmpty: rows with a project but no figures were skipped.
	NoticeSkippedEmpty = "skipped_rows_without_figures"
	// NoticeSkippedTotal: total rows (合计, 小计, 总计) were skipped.
	NoticeSkippedTotal = "skipped_total_rows"
	// NoticeOtherSheets: other sheets of the workbook also had a header row
	// and were not read.
	NoticeOtherSheets = "other_sheets_not_read"
)

// Upload is what [ReadUpload] read from one file: the records for
// submit's Publisher, where they came from, and the notices.
type Upload struct {
	// Input holds the records (Line = the sheet's row, or the CSV line) and
	// the problems found while reading, for submit.Publisher.SubmitInputs.
	Input *submit.Input
	// Sheet is the worksheet read; "" for a CSV file.
	Sheet string
	// HeaderRow is the row of the header (1-based); 0 when none was found.
	HeaderRow int
	// Notices are what the reader did besides reading; see [Notice].
	Notices []Notice

	header *header
}

// Locate rewrites the field of a problem that submit found after reading
// (an unknown project, another department's project, a conflict: Field
// "project_id" or "department_id", Line 7) as the cell it came from, the
// way the reader names its own problems, e.g. "项目编号 (月报!A7)". A
// project another department owns (rule not_owner, field department_id)
// points at the 项目编号 cell when the sheet has no department column.
// Problems of other files, of the whole file, or of fields without a
// column are returned unchanged.
func (u *Upload) Locate(p submit.Problem) submit.Problem {
	if u == nil || u.header == nil || u.Input == nil || p.File != u.Input.Name || p.Line <= u.HeaderRow {
		return p
	}
	c, ok := u.header.byField[p.Field]
	if !ok && p.Rule == schema.RuleNotOwner {
		c, ok = u.header.byField[fProject]
	}
	if ok {
		p.Field = cellLabel(u.Sheet, c.header, c.index, p.Line)
	}
	return p
}

// LocateAll applies [Upload.Locate] to every problem, in place, and returns
// the slice.
func (u *Upload) LocateAll(ps []submit.Problem) []submit.Problem {
	for i := range ps {
		ps[i] = u.Locate(ps[i])
	}
	return ps
}

// Read reads an uploaded .xlsx workbook or .csv file into the records that
// producers/submit validates and publishes (submit.Publisher.SubmitInputs).
// It is [ReadUpload] without the notices and the cell locator.
func Read(name string, r io.Reader, opts Options) (*submit.Input, error) {
	u, err := ReadUpload(name, r, opts)
	if err != nil {
		return nil, err
	}
	return u.Input, nil
}

// ReadUpload reads an uploaded .xlsx workbook or .csv file; see the
// package documentation for what it accepts. Problems of content — not a
// spreadsheet, no header, a formula, too many rows, a bad cell — are
// recorded in the Input (file-level ones in Input.Problems, the others in
// each record's Problems, named by header and cell), so that they are
// reported with the others; the error is for invalid options and I/O
// failures while reading r.
func ReadUpload(name string, r io.Reader, opts Options) (*Upload, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	rd := &reader{name: name, opts: opts, vocab: newVocabulary(), now: opts.Now()}
	rd.up = &Upload{Input: &submit.Input{Name: name, Format: FormatXLSX}}
	data, err := io.ReadAll(io.LimitReader(r, opts.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read upload %s: %w", name, err)
	}
	if int64(len(data)) > opts.MaxBytes {
		rd.fileProblem(submit.RuleFile, fmt.Sprintf("is larger than %s, the most one upload may be; expected a smaller file (split the rows into several files)", size(opts.MaxBytes)),
			"文件超过"+sizeZh(opts.MaxBytes)+"的上传上限，请拆分为多个文件")
		return rd.up, nil
	}
	k, en, zh := sniff(name, data)
	switch k {
	case kindXLSX:
		rd.readXLSX(data)
	case kindCSV:
		rd.up.Input.Format = submit.FormatCSV
		rd.readCSV(data)
	default:
		rd.fileProblem(submit.RuleFile, en, zh)
	}
	return rd.up, nil
}

// row is one non-blank row of a sheet: its 1-based number (the CSV line)
// and its cells, by 0-based column.
type row struct {
	num   int
	cells []string
}

func (r row) cell(i int) string {
	if i < 0 || i >= len(r.cells) {
		return ""
	}
	return r.cells[i]
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// cellInfo tells what a cell holds beyond its text.
type cellInfo interface {
	// formula returns the cell's formula without the "=", or "".
	formula(r row, col int) (string, error)
	// numeric reports whether the cell holds a number (not text).
	numeric(r row, col int) bool
	// serialTime converts an Excel date serial number.
	serialTime(f float64) (time.Time, bool)
}

// reader holds the state of one ReadUpload.
type reader struct {
	name  string
	opts  Options
	vocab vocabulary
	now   time.Time
	up    *Upload
	sheet string // "" for CSV
	info  cellInfo
}

func (rd *reader) fileProblem(rule schema.Rule, en, zh string) {
	rd.up.Input.Problems = append(rd.up.Input.Problems, submit.Problem{File: rd.name,
		FieldError: schema.FieldError{Rule: rule, MessageEn: en, MessageZh: zh}})
}

func (rd *reader) notice(code, en, zh string) {
	rd.up.Notices = append(rd.up.Notices, Notice{Code: code, MessageEn: en, MessageZh: zh})
}

// where is " in sheet 月报", or "" for a CSV file.
func (rd *reader) where() string {
	if rd.sheet == "" {
		return ""
	}
	return " in sheet " + rd.sheet
}

// whereZh is "工作表“月报”", or "" for a CSV file.
func (rd *reader) whereZh() string {
	if rd.sheet == "" {
		return ""
	}
	return "工作表“" + rd.sheet + "”"
}

func (rd *reader) label(header string, col, row int) string {
	return cellLabel(rd.sheet, header, col, row)
}

// cellLabel names a cell in problems: "本月完成投资（万元） (月报!D7)", or
// "(D7)" forms for CSV files and cells without a header.
func cellLabel(sheet, header string, col, row int) string {
	ref := colName(col) + strconv.Itoa(row)
	if sheet != "" {
		ref = sheetRef(sheet) + "!" + ref
	}
	if header == "" {
		return ref
	}
	return header + " (" + ref + ")"
}

// sheetRef quotes a sheet name as Excel does in references when it holds
// anything but letters, digits, '_' and '.'.
func sheetRef(s string) string {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '.' {
			return "'" + strings.ReplaceAll(s, "'", "''") + "'"
		}
	}
	return s
}

// size renders a limit in bytes: "16 MiB", "4096 bytes".
func size(n int64) string {
	if n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// sizeZh renders a limit in bytes in Chinese: "16 MiB", "4096字节".
func sizeZh(n int64) string {
	if n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + "字节"
}

// table is a sheet split around its header row.
type table struct {
	above  []row // non-blank rows above the header, top down
	head   row
	data   []row // report rows below the header, at most MaxRows
	totals []row // total rows (合计, 小计, 总计)
	count  int   // report rows below the header, all of them
	first  int   // row number of the first and last report rows
	last   int
}

// collector turns a stream of rows into a table.
type collector struct {
	rd     *reader
	t      table
	found  bool
	h      *header
	probs  []submit.Problem
	text   int   // bytes of the cells read so far
	budget error // a budget exceeded (MaxTextBytes); reading stopped
}

// add takes the next row; it returns false when the header was not found
// in the first HeaderSearchRows rows, or when more than MaxRows report
// rows or MaxTextBytes of text were read (nothing more is needed).
func (c *collector) add(num int, cells []string) bool {
	if c.rd.sheet != "" {
		for _, s := range cells {
			c.text += len(s)
		}
		if c.text > MaxTextBytes {
			c.budget = c.rd.textBudget(c.rd.sheet)
			return false
		}
	}
	if blank(cells) {
		return c.found || num <= HeaderSearchRows
	}
	r := row{num: num, cells: cells}
	if !c.found {
		if num > HeaderSearchRows {
			return false
		}
		if c.rd.vocab.isHeader(cells) {
			c.found = true
			c.t.head = r
			c.h, c.probs = c.rd.parseHeader(r, sheetUnit(c.t.above))
			return true
		}
		c.t.above = append(c.t.above, r)
		return true
	}
	if c.h.isTotal(r) {
		c.t.totals = append(c.t.totals, r)
		return true
	}
	c.t.count++
	if c.t.first == 0 {
		c.t.first = num
	}
	c.t.last = num
	if c.t.count > c.rd.opts.MaxRows {
		return false // refused: the rest is not read
	}
	c.t.data = append(c.t.data, r)
	return true
}

// totalWords end the label of a total row.
var totalWords = []string{"合计", "小计", "总计", "total", "subtotal"}

// isTotal tells a total row: its project id cell is not an id, and its
// project id, 序号 or 项目名称 cell reads 合计, 小计 or 总计 (spaces aside).
func (h *header) isTotal(r row) bool {
	if c, ok := h.byField[fProject]; ok && schema.ValidIdentifier(narrow(r.cell(c.index))) {
		return false
	}
	for _, c := range h.columns {
		if c.field != fProject && c.field != "" {
			continue
		}
		s := strings.ToLower(strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, r.cell(c.index)))
		for _, w := range totalWords {
			if s != "" && strings.HasSuffix(s, w) {
				return true
			}
		}
	}
	return false
}

// process turns a collected table into records.
func (rd *reader) process(c *collector) {
	in := rd.up.Input
	if !c.found {
		rd.fileProblem(submit.RuleColumn,
			"has no header row"+rd.where()+" (searched the first "+strconv.Itoa(HeaderSearchRows)+" rows); expected a row naming the columns 项目编号, 报告期, 本月完成投资（万元）, 本年累计完成（万元）, 填报人 … (download the template)",
			rd.whereZh()+"前"+strconv.Itoa(HeaderSearchRows)+"行中没有表头行，应有一行列名：项目编号、报告期、本月完成投资（万元）、本年累计完成（万元）、填报人……（可下载模板）")
		return
	}
	rd.up.HeaderRow = c.t.head.num
	rd.up.header = c.h
	if len(c.probs) > 0 {
		in.Problems = append(in.Problems, c.probs...)
		return
	}
	if c.t.count > rd.opts.MaxRows {
		// Reading stopped at the first row past the limit (c.t.last).
		limit := strconv.Itoa(rd.opts.MaxRows)
		first, last := strconv.Itoa(c.t.first), strconv.Itoa(c.t.last)
		in.Problems = append(in.Problems, submit.Problem{File: rd.name, FieldError: schema.FieldError{
			Value: strconv.Itoa(c.t.count), Rule: RuleTooManyRows,
			MessageEn: "has more than " + limit + " report rows" + rd.where() + " (rows " + first + "-" + last + " and maybe more: reading stopped at row " + last + "); at most " + limit + " are accepted in one upload; split the rows into files of at most " + limit,
			MessageZh: rd.whereZh() + "数据超过" + limit + "行（第" + first + "-" + last + "行，读到第" + last + "行时停止），每次上传最多" + limit + "行，请拆分为多个文件"}})
		return
	}
	for _, col := range c.h.columns {
		if col.money && col.unit != "万元" {
			rd.notice(NoticeConvertedUnit,
				"the column "+col.header+" is in "+col.unit+": its amounts were converted to 万元 (×"+col.factor.String()+")",
				"“"+col.header+"”列单位为"+col.unit+"，金额已换算为万元（×"+col.factor.String()+"）")
		}
	}
	if len(c.t.totals) > 0 {
		rd.notice(NoticeSkippedTotal, "total rows"+rd.where()+" were skipped: "+rowList(c.t.totals, ", "),
			rd.whereZh()+"第"+rowList(c.t.totals, "、")+"行为合计行，已跳过")
	}
	var empty []row
	for _, r := range c.t.data {
		rec, skip, err := rd.record(c.h, r)
		if err != nil {
			in.Problems = append(in.Problems, submit.Problem{File: rd.name, Line: r.num, FieldError: schema.FieldError{
				Rule: submit.RuleFile, MessageEn: "cannot read row " + strconv.Itoa(r.num) + rd.where() + ": " + err.Error(),
				MessageZh: "无法读取" + rd.whereZh() + "第" + strconv.Itoa(r.num) + "行：" + err.Error()}})
			return
		}
		if skip {
			empty = append(empty, r)
			continue
		}
		in.Records = append(in.Records, rec)
	}
	if len(empty) > 0 {
		rd.notice(NoticeSkippedEmpty,
			"rows"+rd.where()+" with a project but no figures were skipped: "+rowList(empty, ", ")+"; those projects are not reported by this upload",
			rd.whereZh()+"第"+rowList(empty, "、")+"行只有项目信息、未填写数据，已跳过，这些项目本次未报送")
	}
}

// rowList renders row numbers "5, 9, 12" (with sep), at most 20 of them
// and then "… (n)" with the count.
func rowList(rows []row, sep string) string {
	var parts []string
	for i, r := range rows {
		if i == 20 {
			parts = append(parts, "… ("+strconv.Itoa(len(rows))+")")
			break
		}
		parts = append(parts, strconv.Itoa(r.num))
	}
	return strings.Join(parts, sep)
}

// bomUTF8 starts files Excel saves as "CSV UTF-8".
var bomUTF8 = []byte("\uFEFF")

func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, bomUTF8) }
