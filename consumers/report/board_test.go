package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/report"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/consumers/rollup/rolluptest"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/rollup")

func TestMain(m *testing.M) { testenv.Main(m) }

var (
	september = schema.Period{Year: 2025, Month: time.September}
	runAt     = time.Date(2025, 10, 6, 9, 30, 0, 0, schema.Location())
	testdata  = filepath.Join("..", "..", "testdata", "rollup")
)

// loadBoard rolls the fixture up into a fresh database and loads the board
// as the report command would.
func loadBoard(t *testing.T) (*chstore.Store, *report.MonthlyBoard) {
	t.Helper()
	ctx := context.Background()
	st, err := chstore.Open(ctx, testenv.ClickHouseDSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	events, err := rolluptest.ReadEvents(filepath.Join(testdata, "events.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := rolluptest.Insert(ctx, st, events, 1, time.Date(2025, 10, 3, 9, 0, 0, 0, schema.Location())); err != nil {
		t.Fatal(err)
	}
	if _, err := rollup.Monthly(ctx, st, september, rating.Rules{}, runAt); err != nil {
		t.Fatal(err)
	}
	b, err := report.LoadMonthly(ctx, st, september)
	if err != nil {
		t.Fatal(err)
	}
	return st, b
}

func TestBoard(t *testing.T) {
	st, b := loadBoard(t)

	t.Run("projects are ordered red, yellow, green, unrated, then by gap ascending", func(t *testing.T) {
		var got []string
		for _, p := range b.Projects {
			got = append(got, string(p.Status)+" "+p.ProjectID)
		}
		want := []string{
			"red longquan-g528-upgrade",          // -75.00
			"red liandu-oujiang-levee",           // -12.50
			"red liandu-south-ring-road",         // -10.01
			"red yilongqing-expressway-qingyuan", // +5.00, milestone
			"yellow qingyuan-water-supply-reservoir",
			"yellow longquan-river-restoration",
			"green longquan-smart-manufacturing-park",
			"green qingyuan-pumped-storage",
			"unrated qingyuan-mushroom-industry-park",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("board order\n got %q\nwant %q", got, want)
		}
	})

	t.Run("csv parses back with the stored numbers", func(t *testing.T) {
		var buf bytes.Buffer
		if err := b.Render(&buf, report.FormatCSV); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		if !bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
			t.Fatalf("csv does not start with the UTF-8 BOM: % x", data[:min(3, len(data))])
		}
		r := csv.NewReader(bytes.NewReader(data[3:]))
		r.FieldsPerRecord = -1
		records, err := r.ReadAll()
		if err != nil {
			t.Fatalf("csv does not parse: %v", err)
		}
		if records[0][0] != "2025年9月 重点项目投资月度调度（红黄绿榜）" {
			t.Fatalf("csv title = %q", records[0][0])
		}
		projects := table(t, records, "项目")
		if len(projects) != len(b.Projects) {
			t.Fatalf("csv has %d project rows, want %d", len(projects), len(b.Projects))
		}
		for i, p := range b.Projects {
			row := projects[i]
			if row["项目编号"] != p.ProjectID || row["状态"] != p.Status.Label() || row["原因"] != p.ReasonZh || row["原因(英文)"] != p.ReasonEn {
				t.Errorf("csv row %d = %v, want project %s %s", i, row, p.ProjectID, p.Status.Label())
			}
			sameNumber(t, p.ProjectID+" 本年累计", row["本年累计(万元)"], &p.YTDCompletedWan)
			sameNumber(t, p.ProjectID+" 本月完成", row["本月完成(万元)"], &p.MonthCompletedWan)
			sameNumber(t, p.ProjectID+" 年度计划", row["年度计划(万元)"], p.AnnualPlanWan)
			sameNumber(t, p.ProjectID+" 完成率", row["完成率(%)"], p.CompletionPct)
			sameNumber(t, p.ProjectID+" 差距", row["差距(百分点)"], p.GapPP)
		}
		levee := projects[1]
		if levee["项目编号"] != "liandu-oujiang-levee" || levee["已报送"] != "0" || levee["本月完成(万元)"] != "0.0000" ||
			levee["本年累计(万元)"] != "5000.0000" || levee["完成率(%)"] != "62.50" || levee["差距(百分点)"] != "-12.50" {
			t.Errorf("levee row = %v", levee)
		}
		unrated := projects[len(projects)-1]
		if unrated["年度计划(万元)"] != "" || unrated["完成率(%)"] != "" || unrated["状态"] != "未评级" {
			t.Errorf("unrated row = %v", unrated)
		}
		totals := table(t, records, "维度")
		if len(totals) != 1+len(b.Groups) {
			t.Fatalf("csv has %d total rows, want %d", len(totals), 1+len(b.Groups))
		}
		all := totals[0]
		if all["维度"] != "合计" || all["项目数"] != "9" || all["已报送"] != "7" || all["红"] != "4" || all["未评级"] != "1" {
			t.Errorf("csv overall row = %v", all)
		}
		sameNumber(t, "overall ytd", all["本年累计(万元)"], &b.Overall.YTDCompletedWan)
		sameNumber(t, "overall completion", all["完成率(%)"], b.Overall.CompletionPct)
	})

	t.Run("table and markdown match the golden files and name the key rows", func(t *testing.T) {
		for _, f := range []string{report.FormatTable, report.FormatMarkdown} {
			var buf bytes.Buffer
			if err := b.Render(&buf, f); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, want := range []string{
				"2025年9月 重点项目投资月度调度（红黄绿榜）",
				"共9个项目，本月已报送7个、未报送2个；绿2个、黄2个、红4个、未评级1个。",
				"莲都区瓯江防洪堤加固工程", "本月未报送", "62.50%", "-12.50",
				"未下达年度计划，不评级",
				"按类别", "按部门", "按地区", "丽水市水利局", "丽水市龙泉市",
				"kpp rollup monthly --period 2025-09",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("%s output lacks %q", f, want)
				}
			}
			golden(t, filepath.Join(testdata, "board."+f+".golden"), out)
		}
	})

	t.Run("markdown tables have as many cells as their header", func(t *testing.T) {
		var buf bytes.Buffer
		if err := b.Render(&buf, report.FormatMarkdown); err != nil {
			t.Fatal(err)
		}
		cols := 0
		for _, line := range strings.Split(buf.String(), "\n") {
			if !strings.HasPrefix(line, "|") {
				cols = 0
				continue
			}
			n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") - 1
			if cols == 0 {
				cols = n
			} else if n != cols {
				t.Errorf("markdown row has %d cells, header %d: %s", n, cols, line)
			}
		}
	})

	t.Run("terminal table lines of a section are equally wide", func(t *testing.T) {
		var buf bytes.Buffer
		if err := b.Render(&buf, report.FormatTable); err != nil {
			t.Fatal(err)
		}
		width := 0
		for _, line := range strings.Split(buf.String(), "\n") {
			if !strings.HasPrefix(line, "+") && !strings.HasPrefix(line, "|") {
				width = 0
				continue
			}
			w := cells(line)
			if width == 0 {
				width = w
			} else if w != width {
				t.Errorf("table line is %d cells wide, its table %d: %s", w, width, line)
			}
		}
	})

	t.Run("an unknown format is rejected with the known ones", func(t *testing.T) {
		err := b.Render(&bytes.Buffer{}, "xlsx")
		if !errors.Is(err, report.ErrUnknownFormat) || !strings.Contains(err.Error(), `"xlsx"; expected one of table, csv, md`) {
			t.Fatalf("Render(xlsx) = %v", err)
		}
	})

	t.Run("a month without results says how to compute it", func(t *testing.T) {
		_, err := report.LoadMonthly(context.Background(), st, schema.Period{Year: 2025, Month: time.August})
		if !errors.Is(err, rollup.ErrNotComputed) || !strings.Contains(err.Error(), "kpp rollup monthly --period 2025-08") {
			t.Fatalf("LoadMonthly(2025-08) = %v, want ErrNotComputed suggesting kpp rollup monthly --period 2025-08", err)
		}
	})
}

// table returns the rows of the CSV section whose header starts with
// first, as maps from column to value.
func table(t *testing.T, records [][]string, first string) []map[string]string {
	t.Helper()
	for i, rec := range records {
		if len(rec) == 0 || rec[0] != first || len(rec) < 3 {
			continue
		}
		var out []map[string]string
		for _, r := range records[i+1:] {
			if len(r) != len(rec) {
				break
			}
			m := map[string]string{}
			for j, h := range rec {
				m[h] = r[j]
			}
			out = append(out, m)
		}
		return out
	}
	t.Fatalf("csv has no section with header %q", first)
	return nil
}

func sameNumber(t *testing.T, what, cell string, want *decimal.Decimal) {
	t.Helper()
	if want == nil {
		if cell != "" {
			t.Errorf("%s: csv has %q, want an empty cell", what, cell)
		}
		return
	}
	got, err := decimal.NewFromString(cell)
	if err != nil || !got.Equal(*want) {
		t.Errorf("%s: csv has %q, want the plain number %s", what, cell, want)
	}
}

// cells is the display width of a line: East Asian wide characters take two.
func cells(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) ||
			(r >= 0xf900 && r <= 0xfaff) || (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) || (r >= 0xffe0 && r <= 0xffe6)):
			n += 2
		default:
			n++
		}
	}
	return n
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./consumers/report -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (run with -update to accept):\n%s", path, got)
	}
}
