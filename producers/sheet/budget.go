package sheet

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// The budgets of a workbook besides those of [Options]. A workbook is
// refused as soon as one is exceeded, before or while the sheet streams,
// without reading the rest.
const (
	// MaxColumns is the widest a row may be: a cell with a value beyond
	// column IV (256, Excel 2003's last column) is refused.
	MaxColumns = 256
	// MaxTextBytes is the most text the cells read from a sheet may hold
	// together (16 MiB).
	MaxTextBytes = 16 << 20
	// MaxOtherPartsBytes is the most the parts of a workbook other than its
	// worksheets and shared strings (styles, workbook, images …), which are
	// held in memory, may unzip to together (16 MiB).
	MaxOtherPartsBytes = 16 << 20
	// streamPartBytes: a worksheet or shared-strings part larger than this
	// is unzipped to a temporary file and streamed from there, not held in
	// memory (excelize's UnzipXMLSizeLimit).
	streamPartBytes = 1 << 20
)

// errBudget is a budget exceeded; its messages are the problem's.
type errBudget struct{ en, zh string }

func (e *errBudget) Error() string { return e.en }

// zipParts indexes a workbook's zip entries by name.
type zipParts map[string]*zip.File

func newZipParts(zr *zip.Reader) zipParts {
	m := make(zipParts, len(zr.File))
	for _, f := range zr.File {
		m[strings.ReplaceAll(f.Name, "\\", "/")] = f
	}
	return m
}

// get finds a part by name, exactly or else ignoring case (as excelize).
func (z zipParts) get(name string) *zip.File {
	name = strings.TrimPrefix(name, "/")
	if f, ok := z[name]; ok {
		return f
	}
	for n, f := range z {
		if strings.EqualFold(n, name) {
			return f
		}
	}
	return nil
}

// isStreamed tells the parts excelize streams from a temporary file when
// they are large: worksheets and the shared strings.
func isStreamed(name string) bool {
	n := strings.ToLower(name)
	return strings.HasPrefix(n, "xl/worksheets/sheet") || n == "xl/sharedstrings.xml"
}

// checkParts checks the declared sizes of a workbook's parts (the zip
// reader refuses an entry that inflates to more than it declares): the
// total against MaxUnzippedBytes, the parts held in memory against
// MaxOtherPartsBytes.
func (rd *reader) checkParts(zr *zip.Reader) error {
	var total, other uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if !isStreamed(f.Name) || f.UncompressedSize64 <= streamPartBytes {
			other += f.UncompressedSize64
		}
	}
	if limit := rd.opts.MaxUnzippedBytes; total > uint64(limit) {
		n := strconv.FormatUint(total, 10)
		return &errBudget{
			"unzips to " + n + " bytes, more than the " + size(limit) + " a workbook may expand to; expected an ordinary .xlsx workbook (one that expands this much is refused as a possible zip bomb)",
			"解压后为" + n + "字节，超过工作簿解压上限" + sizeZh(limit) + "，已拒收（可能是恶意压缩文件）"}
	}
	if limit := min(int64(MaxOtherPartsBytes), rd.opts.MaxUnzippedBytes); other > uint64(limit) {
		n := strconv.FormatUint(other, 10)
		return &errBudget{
			"its parts other than the worksheets (styles, images, embedded objects …) unzip to " + n + " bytes, more than the " + size(limit) + " accepted; expected an ordinary .xlsx workbook: copy the report sheet into a new workbook, without pictures or objects, and upload that",
			"工作簿中工作表以外的部分（样式、图片、嵌入对象等）解压后为" + n + "字节，超过上限" + sizeZh(limit) + "；请将报表工作表复制到不含图片和对象的新工作簿后再上传"}
	}
	return nil
}

// sheetParts maps the sheet names of a workbook to their worksheet parts,
// from the workbook and its relationships, as excelize finds them.
func sheetParts(z zipParts) (map[string]string, error) {
	wb := "xl/workbook.xml"
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if f := z.get("_rels/.rels"); f != nil {
		if err := decodePart(f, &rels); err != nil {
			return nil, err
		}
		for _, r := range rels.Rel {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				wb = strings.TrimPrefix(r.Target, "/")
			}
		}
	}
	var book struct {
		Sheets []struct {
			Name string     `xml:"name,attr"`
			Attr []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	f := z.get(wb)
	if f == nil {
		return nil, errors.New("the workbook part " + wb + " is missing")
	}
	if err := decodePart(f, &book); err != nil {
		return nil, err
	}
	rels.Rel = nil
	if f := z.get(path.Join(path.Dir(wb), "_rels", path.Base(wb)+".rels")); f != nil {
		if err := decodePart(f, &rels); err != nil {
			return nil, err
		}
	}
	targets := map[string]string{}
	for _, r := range rels.Rel {
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join(path.Dir(wb), t)
		}
		targets[r.ID] = t
	}
	parts := map[string]string{}
	for _, s := range book.Sheets {
		for _, a := range s.Attr {
			if a.Name.Local == "id" {
				if t, ok := targets[a.Value]; ok {
					parts[s.Name] = t
				}
			}
		}
	}
	return parts, nil
}

// decodePart unmarshals a small part (those excelize also holds in memory,
// bounded by MaxOtherPartsBytes).
func decodePart(f *zip.File, v any) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("open %s: %w", f.Name, err)
	}
	defer rc.Close()
	if err := xml.NewDecoder(io.LimitReader(rc, MaxOtherPartsBytes)).Decode(v); err != nil {
		return fmt.Errorf("read %s: %w", f.Name, err)
	}
	return nil
}

// countStrings streams the shared strings and refuses more than limit of
// them (excelize keeps an offset per string when it reads them from a
// temporary file).
func countStrings(z zipParts, limit int) error {
	f := z.get("xl/sharedStrings.xml")
	if f == nil {
		return nil
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("open %s: %w", f.Name, err)
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	n := 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", f.Name, err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "si" {
			if n++; n > limit {
				l := strconv.Itoa(limit)
				return &errBudget{
					"its shared-strings table holds more than " + l + " strings, the most a workbook may hold (as many as cells may be read); expected an ordinary .xlsx workbook: copy the report sheet into a new workbook and upload that, or split it into several files",
					"工作簿共享字符串超过" + l + "个（上限与可读取的单元格数相同）；请将报表工作表复制到新工作簿后上传，或拆分为多个文件"}
			}
		}
	}
}

// cellMeta is what the reader needs to know about a cell besides its
// text: whether it holds a number and its formula.
type cellMeta struct {
	numeric bool
	formula string
}

// sheetMeta is what a streaming pass over a worksheet's XML found: the
// cells with a value (type and formula), and the merged ranges. Cells are
// kept compactly (12 bytes each, at most MaxCells of them), sorted by
// their key.
type sheetMeta struct {
	entries   []metaEntry
	formulas  []string
	inherited map[uint64]cellMeta
	merges    []string
}

type metaEntry struct {
	key     uint64 // row<<20 | column, 1-based
	formula int32  // index in formulas, or -1
	numeric bool
}

func metaKey(row, col int) uint64 { return uint64(row)<<20 | uint64(col) }

func (m *sheetMeta) add(row, col int, numeric bool, formula string) {
	e := metaEntry{key: metaKey(row, col), numeric: numeric, formula: -1}
	if formula != "" {
		e.formula = int32(len(m.formulas))
		m.formulas = append(m.formulas, formula)
	}
	m.entries = append(m.entries, e)
}

// sort orders the cells for lookups (rows may come in any order in the
// XML; a later cell with the same reference wins, as in excelize).
func (m *sheetMeta) sort() {
	sort.SliceStable(m.entries, func(i, j int) bool { return m.entries[i].key < m.entries[j].key })
}

func (m *sheetMeta) lookup(row, col int) (cellMeta, bool) {
	k := metaKey(row, col)
	i := sort.Search(len(m.entries), func(i int) bool { return m.entries[i].key > k })
	if i > 0 && m.entries[i-1].key == k {
		e := m.entries[i-1]
		c := cellMeta{numeric: e.numeric}
		if e.formula >= 0 {
			c.formula = m.formulas[e.formula]
		}
		return c, true
	}
	c, ok := m.inherited[k]
	return c, ok
}

// cell returns a cell's type and formula (1-based row and column).
func (m *sheetMeta) cell(row, col int) cellMeta {
	c, _ := m.lookup(row, col)
	return c
}

// inherit gives a cell a merged range covers the type of the range's top
// cell, whose value it takes (merge), unless it has a value of its own.
func (m *sheetMeta) inherit(row, col, topRow int) {
	if _, ok := m.lookup(row, col); ok {
		return
	}
	top, ok := m.lookup(topRow, col)
	if !ok {
		return
	}
	if m.inherited == nil {
		m.inherited = map[uint64]cellMeta{}
	}
	m.inherited[metaKey(row, col)] = cellMeta{numeric: top.numeric}
}

// scanMeta streams a worksheet's XML once, without holding it: it counts
// the cells that hold a value (a <v>, an inline string or a formula)
// against MaxCells and MaxColumns, refusing as soon as one is exceeded,
// and keeps each such cell's type and formula and the merged ranges.
// With rows > 0 it stops after that many rows (the header search).
func (rd *reader) scanMeta(f *zip.File, sheet string, rows int) (*sheetMeta, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", f.Name, err)
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	m := &sheetMeta{}
	var (
		row, col, cells, rowCount int
		text                      int // bytes of formulas kept
		inCell, inF, hasValue     bool
		t, fText                  string
		fShared, fSI              string
		shared                    = map[string]string{}
	)
	maxCells := rd.opts.MaxCells
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			m.sort()
			return m, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.Name, err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "row":
				if rows > 0 && rowCount >= rows {
					m.sort()
					return m, nil
				}
				rowCount++
				row++
				if v := attr(el, "r"); v != "" {
					if n, err := strconv.Atoi(v); err == nil && n > 0 {
						row = n
					}
				}
				col = 0
			case "c":
				col++
				if v := attr(el, "r"); v != "" {
					if c, _, err := excelize.CellNameToCoordinates(v); err == nil {
						col = c
					}
				}
				inCell, hasValue, t, fText, fShared, fSI = true, false, attr(el, "t"), "", "", ""
			case "v", "is":
				if inCell {
					hasValue = true
				}
			case "f":
				if inCell {
					hasValue, inF = true, true
					fShared, fSI = attr(el, "t"), attr(el, "si")
				}
			case "mergeCell":
				if len(m.merges) >= maxCells {
					return nil, rd.cellBudget(sheet, maxCells)
				}
				m.merges = append(m.merges, attr(el, "ref"))
			}
		case xml.CharData:
			if inF && len(fText) < 8192 {
				fText += string(el)
			}
		case xml.EndElement:
			switch el.Name.Local {
			case "f":
				inF = false
			case "c":
				inCell = false
				if !hasValue {
					continue
				}
				if col > MaxColumns {
					return nil, rd.columnBudget(sheet, row, col)
				}
				if cells++; cells > maxCells {
					return nil, rd.cellBudget(sheet, maxCells)
				}
				if fShared == "shared" && fSI != "" {
					if fText != "" {
						shared[fSI] = fText
					} else {
						fText = shared[fSI]
					}
				}
				if text += len(fText); text > MaxTextBytes {
					return nil, rd.textBudget(sheet)
				}
				m.add(row, col, t == "" || t == "n", fText)
			case "sheetData":
				if rows > 0 {
					m.sort()
					return m, nil
				}
			}
		}
	}
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (rd *reader) cellBudget(sheet string, limit int) error {
	l := strconv.Itoa(limit)
	return &errBudget{
		"sheet " + sheet + " has more than " + l + " cells with a value, the most one upload may hold; expected a report sheet of at most " + strconv.Itoa(rd.opts.MaxRows) + " rows: delete the cells outside the report, or split the rows into several files",
		"工作表“" + sheet + "”有值的单元格超过" + l + "个（每次上传的上限）；请删除报表以外的单元格，或拆分为多个文件（每个最多" + strconv.Itoa(rd.opts.MaxRows) + "行）"}
}

func (rd *reader) columnBudget(sheet string, row, col int) error {
	ref := colName(col-1) + strconv.Itoa(row)
	return &errBudget{
		"sheet " + sheet + " has a value in cell " + ref + ", beyond column " + colName(MaxColumns-1) + " (" + strconv.Itoa(MaxColumns) + " columns), the widest a report sheet may be; expected the report's columns only: delete the cells to the right of the report",
		"工作表“" + sheet + "”的" + ref + "单元格有值，超出第" + strconv.Itoa(MaxColumns) + "列（" + colName(MaxColumns-1) + "列），报表不能这么宽；请删除报表右侧的单元格"}
}

func (rd *reader) textBudget(sheet string) error {
	return &errBudget{
		"the cells of sheet " + sheet + " hold more than " + size(MaxTextBytes) + " of text, the most one upload may hold; expected shorter texts (形象进度, 存在问题, 下步计划), or split the rows into several files",
		"工作表“" + sheet + "”单元格文字合计超过" + sizeZh(MaxTextBytes) + "（每次上传的上限）；请精简形象进度、存在问题、下步计划等文字，或拆分为多个文件"}
}
