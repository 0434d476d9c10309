package sheet_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/keyproject/kpp/producers/sheet"
	"github.com/keyproject/kpp/schema"
)

// jtj is the template input of the tests: qy-jtj's three projects in
// September 2025.
func jtj() sheet.TemplateInput {
	return sheet.TemplateInput{
		DepartmentID:   "qy-jtj",
		DepartmentName: "庆元县交通运输局",
		Period:         schema.Period{Year: 2025, Month: 9},
		Projects: []sheet.ProjectInfo{
			{ID: "yilongqing-expressway-qingyuan", NameZh: "义龙庆高速公路庆元段", AnnualPlanWan: dec("150000"), LastYTDWan: dec("1750.5")},
			{ID: "qingyuan-g235", NameZh: "国道G235庆元段改建工程", AnnualPlanWan: dec("32000.25")},
			{ID: "qingyuan-bus-station", NameZh: "庆元县客运中心"},
		},
	}
}

func template(t *testing.T, in sheet.TemplateInput) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := sheet.Template(&buf, in); err != nil {
		t.Fatalf("Template: %v", err)
	}
	return buf.Bytes()
}

func TestTemplateLayout(t *testing.T) {
	b := openBook(t, template(t, jtj()))
	f := b.f
	if got, want := f.GetSheetList(), []string{"月报", "说明"}; !slices.Equal(got, want) {
		t.Fatalf("sheets %v; want %v", got, want)
	}
	cell := func(ref string) string {
		t.Helper()
		v, err := f.GetCellValue("月报", ref, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := cell("A1"); got != "庆元县交通运输局 2025年9月 重点项目月报" {
		t.Errorf("title %q", got)
	}
	merged, err := f.GetMergeCells("月报")
	if err != nil {
		t.Fatal(err)
	}
	var ranges []string
	for _, m := range merged {
		ranges = append(ranges, m.GetStartAxis()+":"+m.GetEndAxis())
	}
	if !slices.Contains(ranges, "A1:M1") {
		t.Errorf("merged ranges %v; want the title merged over A1:M1", ranges)
	}
	rows, err := f.GetRows("月报", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[sheet.HeaderRow-1]; !slices.Equal(got, sheet.TemplateColumns()) {
		t.Errorf("header %q; want %q", got, sheet.TemplateColumns())
	}
	want := [][]string{
		{"yilongqing-expressway-qingyuan", "义龙庆高速公路庆元段", "2025-09", "", "", "", "", "", "", "", "", "150000", "1750.5"},
		{"qingyuan-g235", "国道G235庆元段改建工程", "2025-09", "", "", "", "", "", "", "", "", "32000.25"},
		{"qingyuan-bus-station", "庆元县客运中心", "2025-09"},
	}
	for i, w := range want {
		if got := rows[sheet.FirstDataRow-1+i]; !slices.Equal(got, w) {
			t.Errorf("row %d: %q; want %q", sheet.FirstDataRow+i, got, w)
		}
	}
	if len(rows) != sheet.FirstDataRow-1+len(want) {
		t.Errorf("%d rows; want %d", len(rows), sheet.FirstDataRow-1+len(want))
	}
	// Amounts are number cells: the period and ids text, so that Excel
	// does not turn 2025-09 into a date.
	for ref, want := range map[string]excelize.CellType{"A4": excelize.CellTypeSharedString, "C4": excelize.CellTypeSharedString, "L4": excelize.CellTypeUnset} {
		if got, _ := f.GetCellType("月报", ref); got != want {
			t.Errorf("%s type %v; want %v", ref, got, want)
		}
	}
	for ref, want := range map[string]string{"C4": "@", "D4": "#,##0.00##", "E6": "#,##0.00##", "K6": "@"} {
		id, _ := f.GetCellStyle("月报", ref)
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if st.CustomNumFmt != nil {
			got = *st.CustomNumFmt
		} else if st.NumFmt == 49 {
			got = "@"
		}
		if got != want {
			t.Errorf("%s number format %q; want %q", ref, got, want)
		}
	}
	dvs, err := f.GetDataValidations("月报")
	if err != nil {
		t.Fatal(err)
	}
	var sqrefs []string
	for _, dv := range dvs {
		sqrefs = append(sqrefs, dv.Type+" "+dv.Sqref)
	}
	if want := []string{"decimal D4:D6 F4:F6", "custom E4:E6"}; !slices.Equal(sqrefs, want) {
		t.Errorf("data validations %q; want %q", sqrefs, want)
	}
	help, err := f.GetRows("说明")
	if err != nil {
		t.Fatal(err)
	}
	if len(help) < 5 || help[0][0] != "重点项目月报填报说明" {
		t.Errorf("说明 sheet: %q", help)
	}
	if got := sheet.FileName("qy-jtj", jtj().Period); got != "kpp-report-qy-jtj-2025-09.xlsx" {
		t.Errorf("FileName = %q", got)
	}
}

// TestTemplateRoundTrip fills the template as a clerk does in Excel and
// reads it back.
func TestTemplateRoundTrip(t *testing.T) {
	b := openBook(t, template(t, jtj()))
	// Row 4: typed numbers; row 5: numbers pasted as text with a thousands
	// separator, and a correction; row 6 left as it came.
	b.row(4, nil, nil, nil, 350.0, 2100.5, 5600, "工可报告通过评审", "", "推进初步设计", "", "李强")
	b.row(5, nil, nil, nil, "1,200.25", "8,400.75", "20,100", "路基完成60%", "雨季影响", "加快桥梁施工", "", "李强")
	up := read(t, "qy-jtj-2025-09.xlsx", b.bytes(), opts())
	first := report("yilongqing-expressway-qingyuan", "2025-09", "350", "2100.5", "5600", "李强")
	first.PhysicalProgress, first.NextSteps = "工可报告通过评审", "推进初步设计"
	second := report("qingyuan-g235", "2025-09", "1200.25", "8400.75", "20100", "李强")
	second.PhysicalProgress, second.Problems, second.NextSteps = "路基完成60%", "雨季影响", "加快桥梁施工"
	wantRecords(t, up, []int{4, 5}, first, second)
	if up.Sheet != "月报" || up.HeaderRow != 3 || up.Input.Format != sheet.FormatXLSX || up.Input.Name != "qy-jtj-2025-09.xlsx" {
		t.Errorf("sheet %q header row %d format %q name %q", up.Sheet, up.HeaderRow, up.Input.Format, up.Input.Name)
	}
	wantNotices(t, up, "rows in sheet 月报 with a project but no figures were skipped: 6; those projects are not reported by this upload (工作表“月报”第6行只有项目信息、未填写数据，已跳过，这些项目本次未报送)")
}

// An untouched template reads to no records: every row is skipped, and
// the notice lists them.
func TestTemplateUntouched(t *testing.T) {
	up := read(t, "t.xlsx", template(t, jtj()), opts())
	wantRecords(t, up, nil)
	wantNotices(t, up, "rows in sheet 月报 with a project but no figures were skipped: 4, 5, 6; those projects are not reported by this upload (工作表“月报”第4、5、6行只有项目信息、未填写数据，已跳过，这些项目本次未报送)")
}

func TestTemplateInputRejected(t *testing.T) {
	for name, c := range map[string]struct {
		edit func(*sheet.TemplateInput)
		want string
	}{
		"department": {func(in *sheet.TemplateInput) { in.DepartmentID = "交通局" },
			`invalid template input: department id "交通局" is not an id; expected lower-case letters, digits, '-' or '_', e.g. qy-jtj`},
		"period": {func(in *sheet.TemplateInput) { in.Period = schema.Period{} },
			`invalid template input: period "0000-00": month 00 is not 01-12`},
		"no projects": {func(in *sheet.TemplateInput) { in.Projects = nil },
			`invalid template input: department qy-jtj has no projects; expected at least one registered project (register projects first)`},
		"project id": {func(in *sheet.TemplateInput) { in.Projects[1].ID = "G235" },
			`invalid template input: project 2 id "G235" is not an id; expected lower-case letters, digits, '-' or '_', e.g. qingyuan-pumped-storage`},
		"twice": {func(in *sheet.TemplateInput) { in.Projects[2].ID = in.Projects[0].ID },
			`invalid template input: project yilongqing-expressway-qingyuan is listed twice (1 and 3); expected each project once`},
	} {
		t.Run(name, func(t *testing.T) {
			in := jtj()
			c.edit(&in)
			var buf bytes.Buffer
			err := sheet.Template(&buf, in)
			if !errors.Is(err, sheet.ErrTemplateInput) || err.Error() != c.want {
				t.Fatalf("error %v;\nwant %s", err, c.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes on error", buf.Len())
			}
		})
	}
}

func wantNotices(t *testing.T, up *sheet.Upload, want ...string) {
	t.Helper()
	var got []string
	for _, n := range up.Notices {
		got = append(got, n.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("notices:\n got %q\nwant %q", got, want)
	}
}
