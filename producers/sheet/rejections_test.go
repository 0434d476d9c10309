package sheet_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"image"
	"image/png"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/keyproject/kpp/producers/sheet"
	"github.com/keyproject/kpp/producers/submit"
)

// Every rejection, with its exact message. A file problem or a record
// problem means submit publishes nothing from the file.

func buildFormula(t *testing.T) []byte {
	b := openBook(t, template(t, jtj()))
	b.row(4, nil, nil, nil, 350, 2100, 5600, nil, nil, nil, nil, "李强")
	b.formula("D5", "D4*2").formula("E5", "SUM(E4,D5)").set("F5", 9000).set("K5", "李强")
	return b.bytes()
}

func TestRejectFormula(t *testing.T) {
	up := read(t, "formula.xlsx", fixture(t, "reject-formula.xlsx", buildFormula), opts())
	wantProblems(t, up,
		`formula.xlsx:5: 本月完成投资（万元） (月报!D5): "=D4*2": D5 contains a formula =D4*2; enter the value (copy the cells, then Paste Special → Values) (D5单元格是公式 =D4*2，请填写数值（复制后“选择性粘贴→数值”）)`,
		`formula.xlsx:5: 本年累计完成（万元） (月报!E5): "=SUM(E4,D5)": E5 contains a formula =SUM(E4,D5); enter the value (copy the cells, then Paste Special → Values) (E5单元格是公式 =SUM(E4,D5)，请填写数值（复制后“选择性粘贴→数值”）)`)
	if r := up.Input.Records; r[0].Event == nil || len(r[0].Problems) > 0 || len(r[1].Problems) == 0 {
		t.Errorf("row 4 should be read and row 5 refused: %s", recordsText(up.Input))
	}
}

func TestRejectFormulaCSV(t *testing.T) {
	csv := "项目编号,报告期,本月完成投资（万元）,本年累计完成（万元）,填报人\n" +
		"qingyuan-g235,2025-09,=1+2,3,李强\n"
	up := read(t, "f.csv", []byte(csv), opts())
	wantProblems(t, up,
		`f.csv:2: 本月完成投资（万元） (C2): "=1+2": C2 contains a formula =1+2; enter the value (copy the cells, then Paste Special → Values) (C2单元格是公式 =1+2，请填写数值（复制后“选择性粘贴→数值”）)`)
}

func pngBytes(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipOf(t *testing.T, names ...string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte("x"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRejectNotASpreadsheet(t *testing.T) {
	workbook := template(t, jtj())
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"photo.xlsx", fixture(t, "reject-image.xlsx", pngBytes), "photo.xlsx: is not a spreadsheet: its content is a PNG image (image/png); expected an .xlsx workbook or a .csv file (不是电子表格：文件内容为PNG图片；请上传 .xlsx 工作簿或 .csv 文件)"},
		{"report.xlsx", fixture(t, "reject-text.xlsx", func(*testing.T) []byte { return []byte("项目编号,报告期\nqingyuan-g235,2025-09\n") }),
			"report.xlsx: is not an Excel workbook: it holds plain text, and an .xlsx file is not text; expected a workbook saved as .xlsx (Excel 工作簿), or, if this is CSV, the extension .csv (不是Excel工作簿：文件内容是纯文本（.xlsx 文件不是纯文本）；请上传另存为 .xlsx（Excel 工作簿）的文件，CSV文件请使用 .csv 扩展名)"},
		{"old.xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...),
			"old.xls: is an Excel 97-2003 workbook (.xls), a WPS .et file or a password-protected workbook, which kpp cannot read; open it in Excel or WPS and save it as .xlsx (Excel 工作簿) without a password (是Excel 97-2003（.xls）、WPS（.et）或设置了密码的工作簿，无法读取；请用Excel或WPS打开后另存为 .xlsx（Excel 工作簿），不设密码)"},
		{"letter.xlsx", zipOf(t, "[Content_Types].xml", "word/document.xml"),
			"letter.xlsx: is a Word document (.docx), not a spreadsheet; expected an .xlsx workbook or a .csv file (是Word文档（.docx），不是电子表格；请上传 .xlsx 工作簿或 .csv 文件)"},
		{"calc.xlsx", zipOf(t, "mimetype", "content.xml"),
			"calc.xlsx: is an OpenDocument file (.ods, LibreOffice or WPS), not an .xlsx workbook; save it as .xlsx (Excel 2007-365) (是OpenDocument格式（.ods）的文件，请另存为 .xlsx（Excel 工作簿）)"},
		{"files.xlsx", zipOf(t, "a.txt"),
			"files.xlsx: is a zip archive but not an Excel workbook (it has no xl/ folder); expected an .xlsx workbook or a .csv file (是zip压缩包而不是Excel工作簿；请上传 .xlsx 工作簿或 .csv 文件)"},
		{"hollow.xlsx", zipOf(t, "[Content_Types].xml", "xl/workbook.xml"),
			"hollow.xlsx: cannot be read as an .xlsx workbook: its parts are missing or damaged (EOF); open it in Excel or WPS and save it again as .xlsx (无法作为 .xlsx 工作簿读取：文件内容缺失或损坏（EOF）；请用Excel或WPS打开后重新另存为 .xlsx)"},
		{"broken.xlsx", []byte("PK\x03\x04 this is not really a zip"),
			"broken.xlsx: is a damaged zip archive (zip: not a valid zip file), not a readable .xlsx workbook; open it in Excel or WPS and save it again as .xlsx (文件已损坏，无法作为 .xlsx 工作簿读取；请用Excel或WPS打开后重新另存为 .xlsx)"},
		{"empty.csv", []byte("\uFEFF \n"),
			"empty.csv: is empty; expected an .xlsx workbook or a .csv file with a header row and report rows (文件为空，应为带表头和数据行的 .xlsx 工作簿或 .csv 文件)"},
		{"report.pdf", workbook,
			"report.pdf: has the extension .pdf but holds an Excel workbook (.xlsx); rename it to .xlsx (扩展名为 .pdf，但内容是Excel工作簿（.xlsx），请将扩展名改为 .xlsx)"},
		{"notes.txt", []byte("项目编号,报告期\n"),
			"notes.txt: has the extension .txt, which is not a spreadsheet's; expected an .xlsx workbook or a .csv file (扩展名 .txt 不是电子表格，请上传 .xlsx 工作簿或 .csv 文件)"},
		{"unicode.csv", []byte("\xff\xfe\x79\x98"),
			"unicode.csv: is UTF-16 text (Excel's \"Unicode Text\"); expected an .xlsx workbook or a CSV file saved as \"CSV UTF-8\" (是UTF-16编码的文本（Excel“Unicode文本”）；请上传 .xlsx 工作簿，或另存为“CSV UTF-8（逗号分隔）”)"},
		{"mixed.csv", []byte("项目编号,报告期\n\xff\xff,2025-09\n"),
			"mixed.csv: is text in neither UTF-8 nor GBK; expected a CSV file saved as \"CSV UTF-8\" (Excel: Save As → CSV UTF-8 (Comma delimited)) (文件编码既不是UTF-8也不是GBK；请另存为“CSV UTF-8（逗号分隔）”)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			up := read(t, c.name, c.data, opts())
			wantProblems(t, up, c.want)
			for _, p := range up.Input.Problems {
				if p.Rule != submit.RuleFile {
					t.Errorf("rule %q; want %q", p.Rule, submit.RuleFile)
				}
			}
			if len(up.Input.Records) != 0 {
				t.Errorf("%d records read from a file that is not a spreadsheet", len(up.Input.Records))
			}
		})
	}
	// A workbook or CSV without an extension is read by its content.
	up := read(t, "upload", workbook, opts())
	if len(up.Input.Problems) != 0 || up.Input.Format != sheet.FormatXLSX {
		t.Errorf("workbook without extension: %v (format %s)", problems(up), up.Input.Format)
	}
}

func TestRejectTooLarge(t *testing.T) {
	up := read(t, "big.xlsx", template(t, jtj()), ropts(func(o *sheetOptions) { o.MaxBytes = 1 << 10 }))
	wantProblems(t, up, "big.xlsx: is larger than 1024 bytes, the most one upload may be; expected a smaller file (split the rows into several files) (文件超过1024字节的上传上限，请拆分为多个文件)")
}

// accepted is the list of header names in the unknown-column message.
const accepted = "项目编号, 部门编号/责任单位编号, 版本/版本号, 填报人, 填报时间, 来源, 事件类型, 月份/报告期, 本月完成投资/本月完成（万元）, 本年累计完成/本年累计完成投资（万元）, 自开工累计完成/开累完成/自开工累计完成投资（万元）, 形象进度, 存在问题, 下步计划, 更正原因; ignored: 序号, 项目名称, 年度计划投资, 年度计划, 本年计划投资, 上月本年累计, 截至上月本年累计"

func TestRejectHeader(t *testing.T) {
	for _, c := range []struct {
		name   string
		header []any
		o      func(*sheetOptions)
		want   []string
	}{
		{"unknown column", []any{"项目编号", "报告期", "本月完成投资（万元）", "本年累计完成（万元）", "填报人", "备注说明"}, nil, []string{
			"h.xlsx:1: 备注说明 (月报!F1): \"备注说明\": is not a column of the monthly report; expected one of: " + accepted + " (download the template to see them) (不是月报的列，可用的列为：" + accepted + "（可下载模板查看）)"}},
		{"milestone column", []any{"项目编号", "报告期", "本月完成投资（万元）", "本年累计完成（万元）", "填报人", "节点编号"}, nil, []string{
			"h.xlsx:1: 节点编号 (月报!F1): \"节点编号\": is a column of milestone updates; a sheet upload holds monthly investment reports (send milestone updates through the web form, the API or kpp submit) (是节点进展的列；上传的表格应为投资完成月报（节点进展请通过网页表单、接口或 kpp submit 报送）)"}},
		{"unit", []any{"项目编号", "报告期", "本月完成投资（美元）", "本年累计完成（万元）", "填报人", "形象进度（%）"}, nil, []string{
			"h.xlsx:1: 本月完成投资（美元） (月报!C1): \"本月完成投资（美元）\": the unit 美元 is not a unit of money; expected 万元, 亿元, 千元 or 元 (单位“美元”不是金额单位，应为万元、亿元、千元或元)",
			"h.xlsx:1: 形象进度（%） (月报!F1): \"形象进度（%）\": the column physical_progress has no unit; expected the header without % (该列没有单位，表头不应带“%”)",
			"h.xlsx:1: header: \"month_completed_wan\": the column 本月完成投资/本月完成 (month_completed_wan) is missing from the header row 1 in sheet 月报; expected it (download the template to see the columns) (工作表“月报”第1行表头缺少必填列：本月完成投资/本月完成（可下载模板查看）)"}},
		{"twice", []any{"项目编号", "报告期", "本月完成投资（万元）", "本年累计完成（万元）", "填报人", "本月完成"}, nil, []string{
			"h.xlsx:1: 本月完成 (月报!F1): \"本月完成\": repeats column C (本月完成投资（万元）); expected each column once (与C列（本月完成投资（万元））重复，每列只能出现一次)"}},
		{"missing", []any{"项目编号", "报告期", "本月完成投资（万元）", "形象进度"}, nil, []string{
			"h.xlsx:1: header: \"reported_by\": the column 填报人 (reported_by) is missing from the header row 1 in sheet 月报; expected it (download the template to see the columns) (工作表“月报”第1行表头缺少必填列：填报人（可下载模板查看）)",
			"h.xlsx:1: header: \"ytd_completed_wan\": the column 本年累计完成/本年累计完成投资 (ytd_completed_wan) is missing from the header row 1 in sheet 月报; expected it (download the template to see the columns) (工作表“月报”第1行表头缺少必填列：本年累计完成/本年累计完成投资（可下载模板查看）)"}},
		{"no department", []any{"项目编号", "报告期", "本月完成投资（万元）", "本年累计完成（万元）", "填报人"}, func(o *sheetOptions) { o.DepartmentID = "" }, []string{
			"h.xlsx:1: header: \"department_id\": the column 部门编号/责任单位编号 (department_id) is missing from the header row 1 in sheet 月报; expected it (download the template to see the columns) (工作表“月报”第1行表头缺少必填列：部门编号/责任单位编号（可下载模板查看）)"}},
		{"no header", []any{"项目", "金额"}, nil, []string{
			"h.xlsx: has no sheet with a header row in its first 30 rows (sheets: 月报); expected a row naming the columns 项目编号, 报告期, 本月完成投资（万元）, 本年累计完成（万元）, 填报人 … (download the template) (各工作表（月报）前30行中都没有表头行，应有一行列名：项目编号、报告期、本月完成投资（万元）、本年累计完成（万元）、填报人……（可下载模板）)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newBook(t, "月报")
			b.row(1, c.header...)
			b.row(2, g235, "2025-09", 1, 2, "李强")
			o := opts()
			if c.o != nil {
				c.o(&o)
			}
			up := read(t, "h.xlsx", b.bytes(), o)
			wantProblems(t, up, c.want...)
			if len(up.Input.Records) != 0 {
				t.Errorf("%d records read despite a header problem", len(up.Input.Records))
			}
		})
	}
}

func TestRejectNoHeaderCSV(t *testing.T) {
	up := read(t, "x.csv", []byte("a,b\n1,2\n"), opts())
	wantProblems(t, up, "x.csv: has no header row (searched the first 30 rows); expected a row naming the columns 项目编号, 报告期, 本月完成投资（万元）, 本年累计完成（万元）, 填报人 … (download the template) (前30行中没有表头行，应有一行列名：项目编号、报告期、本月完成投资（万元）、本年累计完成（万元）、填报人……（可下载模板）)")
}

func TestRejectCSVSyntax(t *testing.T) {
	up := read(t, "q.csv", []byte("项目编号,报告期,本月完成投资（万元）,本年累计完成（万元）,填报人\nqingyuan-g235,2025-09,1,2,\"李强\n"), opts())
	wantProblems(t, up, `q.csv:2: row: CSV syntax error on line 2: extraneous or missing " in quoted-field; expected RFC 4180 CSV (a cell with a quote, comma or line break is quoted, quotes doubled) (CSV格式错误（第2行）：含引号、逗号或换行的单元格应加双引号，引号写两次)`)
}

// Cells that cannot be reports: each problem names the cell.
func TestRejectCells(t *testing.T) {
	b := newBook(t, "月报")
	b.row(1, "部门编号", "项目编号", "报告期", "本月完成投资（万元）", "本年累计完成（万元）", "自开工累计完成（元）", "填报人", "版本", "", "备注")
	b.row(2, "qy-fgj", g235, "2025-09", 1, 2, 30000, "李强")
	b.row(3, nil, "G235", "2025-11", "12万", -5, "1234.56", "")
	b.row(4, nil, g235, 2025.1, 10, 5, nil, "李强", "二")
	b.row(5, nil, g235, "2025-09", 1, 1, nil, "李强", nil, "看这里")
	data := b.bytes()
	up := read(t, "cells.xlsx", data, opts())
	wantProblems(t, up,
		`cells.xlsx:1: 备注 (月报!J1): "备注": is not a column of the monthly report; expected one of: `+accepted+` (download the template to see them) (不是月报的列，可用的列为：`+accepted+`（可下载模板查看）)`)
	// Without the unknown column, every cell problem is reported.
	b = openBook(t, data)
	b.sheet = "月报"
	b.set("J1", "")
	up = read(t, "cells.xlsx", b.bytes(), opts())
	wantProblems(t, up,
		`cells.xlsx:2: 部门编号 (月报!A2): "qy-fgj": is department qy-fgj, but the upload is signed in as qy-jtj; a department reports only its own projects (expected qy-jtj or an empty cell) (该行部门为 qy-fgj，当前登录部门为 qy-jtj，只能报送本部门项目（应填 qy-jtj 或留空）)`,
		`cells.xlsx:3: 项目编号 (月报!B3): "G235": "G235" is not an identifier; expected lower-case letters, digits, '-' or '_' (at most 64), e.g. qingyuan-pumped-storage (标识只能包含小写字母、数字、- 和 _（最长64位），如 qingyuan-pumped-storage)`,
		`cells.xlsx:3: 报告期 (月报!C3): "2025-11": "2025-11" is a month that has not started yet (now 2025-10); expected the current or an earlier month (月份尚未开始，不能提前报送)`,
		`cells.xlsx:3: 本月完成投资（万元） (月报!D3): "12万": "12万" is not a number; expected a decimal amount in 万元 such as 1234.5 (不是数字，应为以万元计的小数，如 1234.5)`,
		`cells.xlsx:3: 本年累计完成（万元） (月报!E3): "-5": -5 is negative; expected an amount ≥ 0 (a reduction is a new revision of the month it concerns) (不能为负数；核减请提交该月的更正版本)`,
		`cells.xlsx:3: 自开工累计完成（元） (月报!F3): "1234.56": 1234.56 元 is 0.123456 万元, finer than 0.0001 万元 (one yuan); expected an amount exact to the yuan (1234.56元折合0.123456万元，精度超过0.0001万元（1元），应精确到元)`,
		`cells.xlsx:3: 填报人 (月报!G3): is required (必填项缺失)`,
		`cells.xlsx:4: 报告期 (月报!C4): "2025.1": 2025.1 is a number, not a month; expected a month such as 2025-09 or 2025年9月 (format the cell as text: Excel stores 2025.10 typed as a number as 2025.1) (2025.1 是数字而不是月份，应为 2025-09 或 2025年9月 这样的月份（请将单元格设为文本格式：Excel会把数字 2025.10 存为 2025.1）)`,
		`cells.xlsx:4: 本年累计完成（万元） (月报!E4): "5": year-to-date 5.00 is below the month's 10.00 万元; expected ytd ≥ month (本年累计（5.00万元）应不小于本月完成（10.00万元）)`,
		`cells.xlsx:4: 版本 (月报!H4): "二": "二" is not a revision; expected an integer ≥ 1 such as 2 (empty means 1) (版本号应为从1开始的整数，如 2（留空表示第1版）)`,
		`cells.xlsx:5: 月报!I5: "看这里": is under a column without a header; expected a header naming the column, or an empty cell (该单元格所在列没有表头，应补充表头或清空单元格)`)
}

// tenThousand is a workbook of 10,000 report rows below the template's
// header.
func tenThousand(t *testing.T) []byte {
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
	for i := range 10000 {
		if err := sw.SetRow("A"+strconv.Itoa(4+i), []any{"p-" + strconv.Itoa(i), "项目", "2025-09", 100.5, 200.25, 300, "", "", "", "", "李强"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.bytes()
}

func TestRowLimit(t *testing.T) {
	data := tenThousand(t)
	up := read(t, "big.xlsx", data, ropts(func(o *sheetOptions) { o.MaxRows = 10000 }))
	if len(up.Input.Problems) != 0 || len(up.Input.Records) != 10000 {
		t.Fatalf("read %d records, problems %v; want 10000 and none", len(up.Input.Records), up.Input.Problems)
	}
	for _, r := range up.Input.Records {
		if r.Event == nil {
			t.Fatalf("line %d: %v", r.Line, r.Problems)
		}
	}
	if last := up.Input.Records[9999]; last.Line != 10003 || last.Event.Project() != "p-9999" {
		t.Errorf("last record line %d project %s", last.Line, last.Event.Project())
	}
	up = read(t, "big.xlsx", data, opts())
	// Reading stops at the first row past the limit: the rest is not read.
	wantProblems(t, up, "big.xlsx: \"5001\": has more than 5000 report rows in sheet 月报 (rows 4-5004 and maybe more: reading stopped at row 5004); at most 5000 are accepted in one upload; split the rows into files of at most 5000 (工作表“月报”数据超过5000行（第4-5004行，读到第5004行时停止），每次上传最多5000行，请拆分为多个文件)")
	if up.Input.Problems[0].Rule != sheet.RuleTooManyRows || len(up.Input.Records) != 0 {
		t.Errorf("rule %q, %d records", up.Input.Problems[0].Rule, len(up.Input.Records))
	}
}

// A CSV saved by Chinese Windows Excel is GBK: converted, with a notice.
func TestGBKConverted(t *testing.T) {
	utf := "项目编号,报告期,本月完成投资（万元）,本年累计完成（万元）,形象进度,存在问题,填报人\r\n" +
		"qingyuan-g235,2025年9月,\"1,200.5\",8400,路基完成６０％,征地拆迁滞后,李强\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(utf)
	if err != nil {
		t.Fatal(err)
	}
	up := read(t, "gbk.csv", []byte(gbk), opts())
	want := report(g235, "2025-09", "1200.5", "8400", "", "李强")
	want.PhysicalProgress, want.Problems, want.Source = "路基完成６０％", "征地拆迁滞后", "csv"
	wantRecords(t, up, []int{2}, want)
	wantNotices(t, up, `the CSV file is in GBK (what Chinese Windows saves as "CSV (Comma delimited)"); it was converted to UTF-8 before reading — check the Chinese text in the receipt, and save as "CSV UTF-8" next time (该CSV文件为GBK编码（中文Windows“CSV（逗号分隔）”的默认编码），已自动转换为UTF-8后读取；请核对回执中的中文，今后建议另存为“CSV UTF-8（逗号分隔）”)`)
	if up.Notices[0].Code != sheet.NoticeConvertedGBK {
		t.Errorf("code %q", up.Notices[0].Code)
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, c := range []struct {
		o    sheet.Options
		want string
	}{
		{sheet.Options{DepartmentID: "交通局"}, `invalid sheet reader options: DepartmentID "交通局" is not a department id; expected lower-case letters, digits, '-' or '_', e.g. qy-jtj`},
		{sheet.Options{Source: "Excel"}, `invalid sheet reader options: Source "Excel" is not a source name; expected lower-case letters such as xlsx, csv, web`},
		{sheet.Options{MaxRows: -1}, `invalid sheet reader options: MaxRows -1 is below 1; expected a positive row limit (0 means 5000)`},
		{sheet.Options{MaxBytes: -1}, `invalid sheet reader options: MaxBytes -1 is below 1; expected a positive size in bytes (0 means 16777216)`},
		{sheet.Options{MaxUnzippedBytes: -1}, `invalid sheet reader options: MaxUnzippedBytes -1 is below 1; expected a positive size in bytes (0 means 67108864)`},
		{sheet.Options{MaxCells: -1}, `invalid sheet reader options: MaxCells -1 is below 1; expected a positive number of cells (0 means 250000)`},
	} {
		_, err := sheet.Read("x.xlsx", strings.NewReader(""), c.o)
		if !errors.Is(err, sheet.ErrOptions) || err.Error() != c.want {
			t.Errorf("error %v;\nwant %s", err, c.want)
		}
	}
}

// An I/O failure while reading the upload is an error, not a problem.
func TestReadError(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := sheet.Read("x.xlsx", iotest.ErrReader(boom), opts())
	if !errors.Is(err, boom) || err.Error() != "read upload x.xlsx: connection reset" {
		t.Errorf("error %v", err)
	}
}

// A workbook that unzips to more than MaxUnzippedBytes is refused (a zip
// bomb guard).
func TestRejectUnzipLimit(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("xl/workbook.xml")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(bytes.Repeat([]byte(" "), 5000))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	up := read(t, "bomb.xlsx", buf.Bytes(), ropts(func(o *sheetOptions) { o.MaxUnzippedBytes = 4096 }))
	wantProblems(t, up, "bomb.xlsx: unzips to 5000 bytes, more than the 4096 bytes a workbook may expand to; expected an ordinary .xlsx workbook (one that expands this much is refused as a possible zip bomb) (解压后为5000字节，超过工作簿解压上限4096字节，已拒收（可能是恶意压缩文件）)")
}
