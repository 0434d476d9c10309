package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/keyproject/kpp/producers/submit"
)

// xlsxInfo answers cellInfo from the streaming pass over the sheet's XML
// (scanMeta): excelize's cell getters would load the whole sheet.
type xlsxInfo struct {
	meta     *sheetMeta
	date1904 bool
}

func (x *xlsxInfo) formula(r row, col int) (string, error) {
	return x.meta.cell(r.num, col+1).formula, nil
}

func (x *xlsxInfo) numeric(r row, col int) bool {
	if strings.TrimSpace(r.cell(col)) == "" {
		return false
	}
	return x.meta.cell(r.num, col+1).numeric
}

func (x *xlsxInfo) serialTime(f float64) (time.Time, bool) {
	t, err := excelize.ExcelDateToTime(f, x.date1904)
	return t, err == nil
}

// readXLSX reads the report sheet of a workbook within the budgets: the
// parts' declared sizes are checked first; worksheets and shared strings
// larger than streamPartBytes are unzipped to temporary files and
// streamed; a pass over the sheet's XML counts its cells (scanMeta), and
// the rows are then streamed (scan) until MaxRows report rows are passed.
func (rd *reader) readXLSX(data []byte) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err == nil {
		err = rd.checkParts(zr)
	}
	if rd.budgetProblem(err) {
		return
	}
	var f *excelize.File
	if err == nil {
		f, err = excelize.OpenReader(bytes.NewReader(data), excelize.Options{
			UnzipSizeLimit:    rd.opts.MaxUnzippedBytes,
			UnzipXMLSizeLimit: min(rd.opts.MaxUnzippedBytes, streamPartBytes),
		})
	}
	if err == nil {
		defer f.Close()
		parts := newZipParts(zr)
		err = countStrings(parts, rd.opts.MaxCells)
		if rd.budgetProblem(err) {
			return
		}
		var sheetPart map[string]string
		if err == nil {
			sheetPart, err = sheetParts(parts)
		}
		if err == nil {
			rd.readBook(f, parts, sheetPart)
			return
		}
	}
	rd.fileProblem(submit.RuleFile,
		"cannot be read as an .xlsx workbook: its parts are missing or damaged ("+err.Error()+"); open it in Excel or WPS and save it again as .xlsx",
		"无法作为 .xlsx 工作簿读取：文件内容缺失或损坏（"+err.Error()+"）；请用Excel或WPS打开后重新另存为 .xlsx")
}

// budgetProblem records a budget exceeded as the file's problem.
func (rd *reader) budgetProblem(err error) bool {
	var b *errBudget
	if !errors.As(err, &b) {
		return false
	}
	rd.fileProblem(RuleTooLarge, b.en, b.zh)
	return true
}

// meta runs scanMeta on a sheet (rows > 0: its first rows only).
func (rd *reader) meta(parts zipParts, sheetPart map[string]string, sheet string, rows int) (*sheetMeta, error) {
	zf := parts.get(sheetPart[sheet])
	if zf == nil {
		return nil, errors.New("the worksheet part of sheet " + sheet + " is missing")
	}
	return rd.scanMeta(zf, sheet, rows)
}

func (rd *reader) readBook(f *excelize.File, parts zipParts, sheetPart map[string]string) {
	info := &xlsxInfo{}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		info.date1904 = *props.Date1904
	}
	sheet, others, ok := rd.chooseSheet(f, parts, sheetPart)
	if !ok {
		return
	}
	rd.sheet, rd.info = sheet, info
	rd.up.Sheet = sheet
	if len(others) > 0 {
		list := strings.Join(others, ", ")
		rd.notice(NoticeOtherSheets,
			"read sheet "+sheet+"; sheet(s) "+list+" also have a header row and were not read (upload each as its own file)",
			"已读取工作表“"+sheet+"”；工作表“"+strings.Join(others, "”“")+"”也有表头，未读取（请分别上传）")
	}
	meta, err := rd.meta(parts, sheetPart, sheet, 0)
	if rd.budgetProblem(err) {
		return
	}
	if err != nil {
		rd.unreadable(err)
		return
	}
	info.meta = meta
	c := &collector{rd: rd}
	if err := rd.scan(f, sheet, c.add); err != nil {
		rd.unreadable(err)
		return
	}
	if c.budget != nil {
		rd.budgetProblem(c.budget)
		return
	}
	if c.found {
		merge(meta, c)
	}
	rd.process(c)
}

func (rd *reader) unreadable(err error) {
	rd.fileProblem(submit.RuleFile,
		"sheet "+rd.sheet+" cannot be read ("+err.Error()+"); open the file in Excel or WPS and save it again as .xlsx",
		"无法读取工作表“"+rd.sheet+"”（"+err.Error()+"）；请用Excel或WPS打开后重新另存为 .xlsx")
}

// scan streams the rows of a sheet, raw values (not as formatted), to add
// until it returns false.
func (rd *reader) scan(f *excelize.File, sheet string, add func(num int, cells []string) bool) error {
	rows, err := f.Rows(sheet)
	if err != nil {
		return err
	}
	num := 0
	for rows.Next() {
		num++
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			_ = rows.Close()
			return err
		}
		if !add(num, cells) {
			break
		}
	}
	return rows.Close()
}

// chooseSheet picks the sheet to read: Options.Sheet; else 月报 when it
// has a header row; else the first visible sheet with a header row. others
// are the other sheets with a header row.
func (rd *reader) chooseSheet(f *excelize.File, parts zipParts, sheetPart map[string]string) (sheet string, others []string, ok bool) {
	list := f.GetSheetList()
	if s := rd.opts.Sheet; s != "" {
		for _, name := range list {
			if name == s {
				return s, nil, true
			}
		}
		rd.fileProblem(submit.RuleFile, "has no sheet named "+s+"; its sheets are "+strings.Join(list, ", "),
			"没有名为“"+s+"”的工作表，现有工作表："+strings.Join(list, "、"))
		return "", nil, false
	}
	var withHeader []string
	for _, name := range list {
		if v, err := f.GetSheetVisible(name); err == nil && !v {
			continue
		}
		// The header search streams the first rows only, after a pass
		// that checks their cells against the budgets.
		if _, err := rd.meta(parts, sheetPart, name, HeaderSearchRows); err != nil {
			if rd.budgetProblem(err) {
				return "", nil, false
			}
			continue
		}
		found := false
		_ = rd.scan(f, name, func(num int, cells []string) bool {
			found = rd.vocab.isHeader(cells)
			return !found && num < HeaderSearchRows
		})
		if found {
			withHeader = append(withHeader, name)
		}
	}
	switch {
	case len(withHeader) == 0:
		rd.fileProblem(submit.RuleColumn,
			"has no sheet with a header row in its first "+strconv.Itoa(HeaderSearchRows)+" rows (sheets: "+strings.Join(list, ", ")+"); expected a row naming the columns 项目编号, 报告期, 本月完成投资（万元）, 本年累计完成（万元）, 填报人 … (download the template)",
			"各工作表（"+strings.Join(list, "、")+"）前"+strconv.Itoa(HeaderSearchRows)+"行中都没有表头行，应有一行列名：项目编号、报告期、本月完成投资（万元）、本年累计完成（万元）、填报人……（可下载模板）")
		return "", nil, false
	}
	sheet = withHeader[0]
	for _, name := range withHeader {
		if name == TemplateSheet {
			sheet = name
		}
	}
	for _, name := range withHeader {
		if name != sheet {
			others = append(others, name)
		}
	}
	return sheet, others, true
}

// merge gives the cells of a range merged down a column, below the
// header, the value (and type) of the range's top cell, as Excel shows it: a 报告期
// merged down the column counts for every row it covers. Ranges merged
// across columns only (a category heading) are left as they are.
func merge(meta *sheetMeta, c *collector) {
	ranges := meta.merges
	if len(ranges) == 0 {
		return
	}
	byNum := make(map[int]int, len(c.t.data))
	for i, r := range c.t.data {
		byNum[r.num] = i
	}
	for _, m := range ranges {
		from, to, _ := strings.Cut(m, ":")
		c1, r1, err1 := excelize.CellNameToCoordinates(from)
		c2, r2, err2 := excelize.CellNameToCoordinates(to)
		if err1 != nil || err2 != nil || r1 <= c.t.head.num || r2 <= r1 {
			continue
		}
		top, ok := byNum[r1]
		if !ok {
			continue
		}
		for col := c1 - 1; col < c2; col++ {
			v := c.t.data[top].cell(col)
			if v == "" {
				continue
			}
			for rn := r1 + 1; rn <= r2; rn++ {
				i, ok := byNum[rn]
				if !ok {
					continue
				}
				r := &c.t.data[i]
				for len(r.cells) <= col {
					r.cells = append(r.cells, "")
				}
				if r.cells[col] == "" {
					r.cells[col] = v
					meta.inherit(rn, col+1, r1)
				}
			}
		}
	}
}
