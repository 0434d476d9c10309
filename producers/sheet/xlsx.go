package sheet

import (
	"archive/zip"
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/keyproject/kpp/producers/submit"
)

// xlsxInfo answers cellInfo from an open workbook.
type xlsxInfo struct {
	f        *excelize.File
	sheet    string
	date1904 bool
}

func (x *xlsxInfo) ref(r row, col int) string { return colName(col) + strconv.Itoa(r.num) }

func (x *xlsxInfo) formula(r row, col int) (string, error) {
	return x.f.GetCellFormula(x.sheet, x.ref(r, col))
}

func (x *xlsxInfo) numeric(r row, col int) bool {
	if strings.TrimSpace(r.cell(col)) == "" {
		return false
	}
	t, err := x.f.GetCellType(x.sheet, x.ref(r, col))
	return err == nil && (t == excelize.CellTypeUnset || t == excelize.CellTypeNumber)
}

func (x *xlsxInfo) serialTime(f float64) (time.Time, bool) {
	t, err := excelize.ExcelDateToTime(f, x.date1904)
	return t, err == nil
}

// readXLSX reads the report sheet of a workbook.
func (rd *reader) readXLSX(data []byte) {
	if n := unzippedSize(data); n > uint64(rd.opts.MaxUnzippedBytes) {
		rd.fileProblem(submit.RuleFile,
			"unzips to "+strconv.FormatUint(n, 10)+" bytes, more than the "+size(rd.opts.MaxUnzippedBytes)+" a workbook may expand to; expected an ordinary .xlsx workbook (one that expands this much is refused as a possible zip bomb)",
			"解压后为"+strconv.FormatUint(n, 10)+"字节，超过工作簿解压上限"+sizeZh(rd.opts.MaxUnzippedBytes)+"，已拒收（可能是恶意压缩文件）")
		return
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    rd.opts.MaxUnzippedBytes,
		UnzipXMLSizeLimit: min(rd.opts.MaxUnzippedBytes, excelize.StreamChunkSize),
	})
	if err != nil {
		rd.fileProblem(submit.RuleFile,
			"cannot be read as an .xlsx workbook: its parts are missing or damaged ("+err.Error()+"); open it in Excel or WPS and save it again as .xlsx",
			"无法作为 .xlsx 工作簿读取：文件内容缺失或损坏（"+err.Error()+"）；请用Excel或WPS打开后重新另存为 .xlsx")
		return
	}
	defer f.Close()
	info := &xlsxInfo{f: f}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		info.date1904 = *props.Date1904
	}
	sheet, others, ok := rd.chooseSheet(f)
	if !ok {
		return
	}
	rd.sheet, info.sheet, rd.info = sheet, sheet, info
	rd.up.Sheet = sheet
	if len(others) > 0 {
		list := strings.Join(others, ", ")
		rd.notice(NoticeOtherSheets,
			"read sheet "+sheet+"; sheet(s) "+list+" also have a header row and were not read (upload each as its own file)",
			"已读取工作表“"+sheet+"”；工作表“"+strings.Join(others, "”“")+"”也有表头，未读取（请分别上传）")
	}
	c := &collector{rd: rd}
	if err := rd.scan(f, sheet, c.add); err != nil {
		rd.unreadable(err)
		return
	}
	if c.found {
		merge(f, sheet, c)
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
func (rd *reader) chooseSheet(f *excelize.File) (sheet string, others []string, ok bool) {
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
// header, the value of the range's top cell, as Excel shows it: a 报告期
// merged down the column counts for every row it covers. Ranges merged
// across columns only (a category heading) are left as they are.
func merge(f *excelize.File, sheet string, c *collector) {
	ranges, err := f.GetMergeCells(sheet, true)
	if err != nil || len(ranges) == 0 {
		return
	}
	byNum := make(map[int]int, len(c.t.data))
	for i, r := range c.t.data {
		byNum[r.num] = i
	}
	for _, m := range ranges {
		c1, r1, err1 := excelize.CellNameToCoordinates(m.GetStartAxis())
		c2, r2, err2 := excelize.CellNameToCoordinates(m.GetEndAxis())
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
				}
			}
		}
	}
}

// unzippedSize is the sum of the sizes the zip's entries declare (excelize
// enforces the limit again while it unzips).
func unzippedSize(data []byte) uint64 {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return 0
	}
	var n uint64
	for _, f := range zr.File {
		n += f.UncompressedSize64
	}
	return n
}
