package submit_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

func readFixture(t *testing.T, name string) *submit.Input {
	t.Helper()
	in, err := submit.ReadFile(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Problems) > 0 {
		t.Fatalf("%s: problems %v", name, in.Problems)
	}
	for _, r := range in.Records {
		if len(r.Problems) > 0 || r.Event == nil {
			t.Fatalf("%s line %d: %v", name, r.Line, r.Problems)
		}
		if err := r.Event.Validate(now); err != nil {
			t.Fatalf("%s line %d: %v", name, r.Line, err)
		}
	}
	return in
}

func TestReadJSONL(t *testing.T) {
	in := readFixture(t, "reports.jsonl")
	if in.Format != submit.FormatJSONL || len(in.Records) != 3 {
		t.Fatalf("format %s, %d records; want jsonl, 3", in.Format, len(in.Records))
	}
	// Line 2 is blank: the records are on lines 1, 3 and 4.
	for i, want := range []int{1, 3, 4} {
		if in.Records[i].Line != want {
			t.Errorf("record %d on line %d; want %d", i, in.Records[i].Line, want)
		}
	}
	r, ok := in.Records[0].Event.(*schema.InvestmentReport)
	if !ok {
		t.Fatalf("line 1 is %T; want *schema.InvestmentReport", in.Records[0].Event)
	}
	if r.ProjectID != "qingyuan-pumped-storage" || r.Period != "2025-08" || r.MonthCompletedWan.String() != "12000.5000" ||
		r.ReportedAt == nil || !r.ReportedAt.Equal(time.Date(2025, 9, 3, 16, 20, 0, 0, schema.Location())) {
		t.Errorf("line 1 = %+v", r)
	}
	m, ok := in.Records[2].Event.(*schema.MilestoneUpdate)
	if !ok || m.Status != schema.MilestoneInProgress || m.PercentComplete.String() != "55" {
		t.Errorf("line 4 = %+v", in.Records[2].Event)
	}

	projects := readFixture(t, "projects.jsonl")
	p, ok := projects.Records[1].Event.(*schema.Project)
	if !ok || p.ProjectID != "yilongqing-expressway-qingyuan" || p.DepartmentID != "qy-jtj" || len(p.Milestones) != 1 {
		t.Errorf("projects.jsonl line 2 = %+v", projects.Records[1].Event)
	}
}

// TestReadCSVEnglishAndChinese reads the same reports written with English
// and with Chinese headers (BOM, units in full-width parentheses, spaces,
// spreadsheet dates and months, thousands separators, Chinese status
// labels) and expects the same events.
func TestReadCSVEnglishAndChinese(t *testing.T) {
	for _, pair := range [][2]string{{"investment-en.csv", "investment-zh.csv"}, {"milestones-en.csv", "milestones-zh.csv"}} {
		en, zh := readFixture(t, pair[0]), readFixture(t, pair[1])
		if len(en.Records) != len(zh.Records) || len(en.Records) < 2 {
			t.Fatalf("%s has %d records, %s %d", pair[0], len(en.Records), pair[1], len(zh.Records))
		}
		for i := range en.Records {
			a, _ := json.Marshal(en.Records[i].Event)
			b, _ := json.Marshal(zh.Records[i].Event)
			if string(a) != string(b) {
				t.Errorf("record %d differs:\n%s: %s\n%s: %s", i, pair[0], a, pair[1], b)
			}
			if en.Records[i].Line != i+2 || zh.Records[i].Line != i+2 {
				t.Errorf("record %d on lines %d and %d; want %d", i, en.Records[i].Line, zh.Records[i].Line, i+2)
			}
		}
	}

	inv := readFixture(t, "investment-zh.csv")
	r := inv.Records[0].Event.(*schema.InvestmentReport)
	if r.Schema != schema.SchemaInvestment || r.Period != "2025-09" || r.Revision != 1 ||
		r.MonthCompletedWan.String() != "13500.2500" || r.YTDCompletedWan.String() != "111500.7500" ||
		r.Problems != "雨季施工,进度受影响" || r.ReportedAt == nil ||
		!r.ReportedAt.Equal(time.Date(2025, 10, 3, 9, 30, 0, 0, schema.Location())) {
		t.Errorf("investment-zh.csv line 2 = %+v", r)
	}
	if r2 := inv.Records[1].Event.(*schema.InvestmentReport); r2.Revision != 1 || r2.Period != "2025-09" {
		t.Errorf("empty revision should be 1 and 2025/9 the period 2025-09: %+v", r2)
	}
	ms := readFixture(t, "milestones-zh.csv")
	m := ms.Records[0].Event.(*schema.MilestoneUpdate)
	if m.Status != schema.MilestoneMet || m.ActualDate != "2024-05-20" || m.PlannedDate != "2024-06-30" || m.PercentComplete.String() != "100" {
		t.Errorf("milestones-zh.csv line 2 = %+v", m)
	}
	if m := ms.Records[2].Event.(*schema.MilestoneUpdate); m.Status != schema.MilestoneScheduled || m.PercentComplete != nil || m.AsOf != "2025-09-30" {
		t.Errorf("milestones-zh.csv line 4 = %+v", m)
	}
}

func TestReadUnsupportedFileIsAProblem(t *testing.T) {
	in, err := submit.ReadFile("reports.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	want := `reports.xlsx: has .xlsx; expected .jsonl, .ndjson or .csv (save a spreadsheet as "CSV UTF-8") (不支持的文件类型（.xlsx），应为 .jsonl、.ndjson 或 .csv（电子表格请另存为“CSV UTF-8”）)`
	if len(in.Problems) != 1 || in.Problems[0].String() != want {
		t.Fatalf("problems %v;\nwant %s", in.Problems, want)
	}
}

// TestDocListsEveryColumn keeps the package documentation, which cmd and
// docs link to, in step with the accepted CSV columns.
func TestDocListsEveryColumn(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range submit.Columns() {
		for _, name := range append([]string{c.Field}, c.Chinese...) {
			if !strings.Contains(string(doc), name) {
				t.Errorf("doc.go does not mention the column name %q", name)
			}
		}
	}
}
