package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// csvInfo answers cellInfo for CSV: every cell is text, and a cell that
// starts with "=" is a formula (Excel would compute it on opening).
type csvInfo struct{}

func (csvInfo) formula(r row, col int) (string, error) {
	s := strings.TrimSpace(r.cell(col))
	if len(s) > 1 && s[0] == '=' {
		return s[1:], nil
	}
	return "", nil
}

func (csvInfo) numeric(row, int) bool { return false }

func (csvInfo) serialTime(float64) (time.Time, bool) { return time.Time{}, false }

// readCSV reads a CSV file: UTF-8 (with or without a BOM), or GBK, which
// is converted with a notice.
func (rd *reader) readCSV(data []byte) {
	rd.info = csvInfo{}
	data = trimBOM(data)
	if !utf8.Valid(data) {
		u, ok := fromGBK(data)
		if !ok {
			rd.fileProblem(submit.RuleFile,
				"is text in neither UTF-8 nor GBK; expected a CSV file saved as \"CSV UTF-8\" (Excel: Save As → CSV UTF-8 (Comma delimited))",
				"文件编码既不是UTF-8也不是GBK；请另存为“CSV UTF-8（逗号分隔）”")
			return
		}
		data = u
		rd.notice(NoticeConvertedGBK,
			"the CSV file is in GBK (what Chinese Windows saves as \"CSV (Comma delimited)\"); it was converted to UTF-8 before reading — check the Chinese text in the receipt, and save as \"CSV UTF-8\" next time",
			"该CSV文件为GBK编码（中文Windows“CSV（逗号分隔）”的默认编码），已自动转换为UTF-8后读取；请核对回执中的中文，今后建议另存为“CSV UTF-8（逗号分隔）”")
	}
	c := &collector{rd: rd}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rd.up.Input.Problems = append(rd.up.Input.Problems, submit.Problem{File: rd.name, Line: pe.StartLine, FieldError: schema.FieldError{
					Field: "row", Rule: submit.RuleRow,
					MessageEn: "CSV syntax error on line " + strconv.Itoa(pe.Line) + ": " + pe.Err.Error() + "; expected RFC 4180 CSV (a cell with a quote, comma or line break is quoted, quotes doubled)",
					MessageZh: "CSV格式错误（第" + strconv.Itoa(pe.Line) + "行）：含引号、逗号或换行的单元格应加双引号，引号写两次"}})
				return
			}
			rd.fileProblem(submit.RuleFile, "cannot be read as CSV: "+err.Error(), "无法作为CSV读取："+err.Error())
			return
		}
		line, _ := cr.FieldPos(0)
		if !c.add(line, rec) {
			break
		}
	}
	rd.process(c)
}

// fromGBK converts GBK text to UTF-8; ok is false when data is not GBK
// (the decoder met bytes it had to replace).
func fromGBK(data []byte) ([]byte, bool) {
	u, err := simplifiedchinese.GBK.NewDecoder().Bytes(data)
	if err != nil || bytes.ContainsRune(u, utf8.RuneError) {
		return nil, false
	}
	return u, true
}
