package sheet

import (
	"archive/zip"
	"bytes"
	"net/http"
	"path/filepath"
	"strings"
)

// kind is what a file holds, told by its content.
type kind int

const (
	kindOther kind = iota
	kindXLSX
	kindCSV
)

var (
	magicZip = []byte("PK\x03\x04")
	// magicCFB starts OLE2 compound files: Excel 97-2003 .xls, WPS .et,
	// and password-protected .xlsx.
	magicCFB = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// extensions of each kind; a file with another extension is refused, and
// one without an extension is read by its content.
var extensions = map[kind][]string{
	kindXLSX: {".xlsx", ".xlsm"},
	kindCSV:  {".csv"},
}

// sniff tells what a file holds by its content, and checks that its
// extension agrees. For anything but a workbook or CSV text it returns the
// problem's messages.
func sniff(name string, data []byte) (k kind, en, zh string) {
	ext := strings.ToLower(filepath.Ext(name))
	if len(bytes.TrimSpace(trimBOM(data))) == 0 {
		return kindOther, "is empty; expected an .xlsx workbook or a .csv file with a header row and report rows",
			"文件为空，应为带表头和数据行的 .xlsx 工作簿或 .csv 文件"
	}
	switch {
	case bytes.HasPrefix(data, magicCFB):
		return kindOther, "is an Excel 97-2003 workbook (.xls), a WPS .et file or a password-protected workbook, which kpp cannot read; open it in Excel or WPS and save it as .xlsx (Excel 工作簿) without a password",
			"是Excel 97-2003（.xls）、WPS（.et）或设置了密码的工作簿，无法读取；请用Excel或WPS打开后另存为 .xlsx（Excel 工作簿），不设密码"
	case bytes.HasPrefix(data, magicZip):
		if en, zh := zipKind(data); en != "" {
			return kindOther, en, zh
		}
		k = kindXLSX
	default:
		ct := http.DetectContentType(data)
		switch {
		case bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
			return kindOther, "is UTF-16 text (Excel's \"Unicode Text\"); expected an .xlsx workbook or a CSV file saved as \"CSV UTF-8\"",
				"是UTF-16编码的文本（Excel“Unicode文本”）；请上传 .xlsx 工作簿，或另存为“CSV UTF-8（逗号分隔）”"
		case strings.HasPrefix(ct, "text/plain"):
			k = kindCSV
		default:
			what, whatZh := describe(ct)
			return kindOther, "is not a spreadsheet: its content is " + what + " (" + ct + "); expected an .xlsx workbook or a .csv file",
				"不是电子表格：文件内容为" + whatZh + "；请上传 .xlsx 工作簿或 .csv 文件"
		}
	}
	if ext == "" {
		return k, "", ""
	}
	for _, e := range extensions[k] {
		if ext == e {
			return k, "", ""
		}
	}
	if k == kindXLSX {
		return kindOther, "has the extension " + ext + " but holds an Excel workbook (.xlsx); rename it to .xlsx",
			"扩展名为 " + ext + "，但内容是Excel工作簿（.xlsx），请将扩展名改为 .xlsx"
	}
	if ext == ".xlsx" || ext == ".xlsm" || ext == ".xls" {
		return kindOther, "is not an Excel workbook: it holds plain text, and an " + ext + " file is not text; expected a workbook saved as .xlsx (Excel 工作簿), or, if this is CSV, the extension .csv",
			"不是Excel工作簿：文件内容是纯文本（" + ext + " 文件不是纯文本）；请上传另存为 .xlsx（Excel 工作簿）的文件，CSV文件请使用 .csv 扩展名"
	}
	return kindOther, "has the extension " + ext + ", which is not a spreadsheet's; expected an .xlsx workbook or a .csv file",
		"扩展名 " + ext + " 不是电子表格，请上传 .xlsx 工作簿或 .csv 文件"
}

// zipKind checks that a zip archive is an Office Open XML workbook; for
// anything else it returns the problem's messages.
func zipKind(data []byte) (en, zh string) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "is a damaged zip archive (" + err.Error() + "), not a readable .xlsx workbook; open it in Excel or WPS and save it again as .xlsx",
			"文件已损坏，无法作为 .xlsx 工作簿读取；请用Excel或WPS打开后重新另存为 .xlsx"
	}
	for _, f := range zr.File {
		switch {
		case strings.HasPrefix(f.Name, "xl/"):
			return "", ""
		case f.Name == "mimetype":
			return "is an OpenDocument file (.ods, LibreOffice or WPS), not an .xlsx workbook; save it as .xlsx (Excel 2007-365)",
				"是OpenDocument格式（.ods）的文件，请另存为 .xlsx（Excel 工作簿）"
		case strings.HasPrefix(f.Name, "word/"):
			return "is a Word document (.docx), not a spreadsheet; expected an .xlsx workbook or a .csv file",
				"是Word文档（.docx），不是电子表格；请上传 .xlsx 工作簿或 .csv 文件"
		}
	}
	return "is a zip archive but not an Excel workbook (it has no xl/ folder); expected an .xlsx workbook or a .csv file",
		"是zip压缩包而不是Excel工作簿；请上传 .xlsx 工作簿或 .csv 文件"
}

// describe names a content type for people.
func describe(ct string) (en, zh string) {
	switch {
	case ct == "image/png":
		return "a PNG image", "PNG图片"
	case ct == "image/jpeg":
		return "a JPEG image", "JPEG图片"
	case strings.HasPrefix(ct, "image/"):
		return "an image", "图片"
	case ct == "application/pdf":
		return "a PDF document", "PDF文档"
	case strings.HasPrefix(ct, "text/html"), strings.HasPrefix(ct, "text/xml"):
		return "a web page or XML", "网页或XML"
	case ct == "application/x-gzip", ct == "application/x-rar-compressed", ct == "application/x-7z-compressed":
		return "a compressed archive", "压缩包"
	}
	return "binary data", "二进制数据"
}
