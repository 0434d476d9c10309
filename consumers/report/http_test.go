package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
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

func TestMain(m *testing.M) { testenv.Main(m) }

// storedReviews rolls the rollup's fixture (testdata/rollup/events.json,
// received on 3 October 2025) up into a fresh database: the monthly
// review of September 2025 and the weekly review of 2025-W41.
func storedReviews(t *testing.T) (*chstore.Store, string) {
	t.Helper()
	ctx := context.Background()
	dsn := testenv.ClickHouseDSN(t)
	st, err := chstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	events, err := rolluptest.ReadEvents(filepath.Join("..", "..", "testdata", "rollup", "events.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := rolluptest.Insert(ctx, st, events, 1, time.Date(2025, 10, 3, 9, 0, 0, 0, schema.Location())); err != nil {
		t.Fatal(err)
	}
	for _, run := range []struct {
		kind schema.ReviewKind
		key  string
		now  time.Time
	}{
		{schema.ReviewMonthly, "2025-09", time.Date(2025, 10, 6, 9, 30, 0, 0, schema.Location())},
		{schema.ReviewWeekly, "2025-W41", time.Date(2025, 10, 13, 7, 0, 0, 0, schema.Location())},
	} {
		p, err := schema.ParseReviewPeriod(run.kind, run.key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rollup.Run(ctx, st, p, rating.DefaultRules(), rollup.RunOptions{RunID: "test-" + run.key, Now: run.now}); err != nil {
			t.Fatalf("rollup %s %s: %v", run.kind, run.key, err)
		}
	}
	return st, dsn
}

func TestHTTP(t *testing.T) {
	st, dsn := storedReviews(t)
	ctx := context.Background()
	september, _ := schema.ParseReviewPeriod(schema.ReviewMonthly, "2025-09")
	board, err := rollup.Load(ctx, st, september)
	if err != nil {
		t.Fatal(err)
	}
	h, err := report.NewHandler(st, report.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	get := func(t *testing.T, path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	expect := func(t *testing.T, path string, status int, contentType string) []byte {
		t.Helper()
		resp, body := get(t, path)
		if resp.StatusCode != status {
			t.Fatalf("GET %s = %d, want %d:\n%s", path, resp.StatusCode, status, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != contentType {
			t.Errorf("GET %s Content-Type = %q, want %q", path, ct, contentType)
		}
		return body
	}

	t.Run("the index lists the stored reviews with links", func(t *testing.T) {
		doc := parseHTML(t, expect(t, "/", http.StatusOK, "text/html; charset=utf-8"))
		var hrefs []string
		for _, a := range findAll(doc, tag("a")) {
			v, _ := attr(a, "href")
			hrefs = append(hrefs, v)
		}
		for _, want := range []string{"reports/monthly/2025-09", "reports/monthly/2025-09.xlsx", "reports/monthly/2025-09.csv",
			"reports/weekly/2025-W41", "reports/weekly/2025-W41.xlsx"} {
			if !contains(hrefs, want) {
				t.Errorf("index has no link %q: %v", want, hrefs)
			}
		}
		if got := textOf(byID(t, doc, "dekad")); !strings.Contains(got, "尚无旬调度结果") || !strings.Contains(got, "kpp rollup dekad --period") {
			t.Errorf("the empty dekad section does not say how to compute one: %s", got)
		}
		if got := textOf(byID(t, doc, "monthly")); !strings.Contains(got, "2025年9月") {
			t.Errorf("monthly section = %s", got)
		}
		selfContained(t, doc)
	})

	t.Run("the report page matches the stored review", func(t *testing.T) {
		resp, body := get(t, "/reports/monthly/2025-09")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || resp.Header.Get("Content-Disposition") != "" {
			t.Fatalf("GET report = %d %v", resp.StatusCode, resp.Header)
		}
		doc := parseHTML(t, body)
		if got := textOf(findAll(doc, tag("title"))[0]); got != "2025年9月 重点项目投资月度调度（红黄绿榜）" {
			t.Errorf("title = %q", got)
		}
		sec := byID(t, doc, "projects")
		rows, header := rowsOf(t, sec), headerOf(sec)
		if len(rows) != len(board.Projects) {
			t.Fatalf("%d project rows, want %d", len(rows), len(board.Projects))
		}
		// Independent of the renderer: the stored rows themselves.
		names := map[string]rollup.ProjectRow{}
		ytd := decimal.Zero
		var red []string
		for _, p := range board.Projects {
			names[p.NameZh] = p
			ytd = ytd.Add(p.YTDCompletedWan)
			if p.Status == rating.Red {
				red = append(red, p.NameZh)
			}
		}
		for _, row := range rows {
			p, ok := names[column(t, header, row, "项目")]
			if !ok {
				t.Errorf("row %v names no stored project", row)
				continue
			}
			if column(t, header, row, "本年累计(万元)") != p.YTDCompletedWan.StringFixed(2) || column(t, header, row, "状态") != p.Status.Label() {
				t.Errorf("row %v differs from the stored %s: ytd %s status %s", row, p.ProjectID, p.YTDCompletedWan, p.Status)
			}
		}
		if got := textOf(byID(t, doc, "summary")); !strings.Contains(got, "本年累计完成"+ytd.Shift(-4).StringFixed(2)+"亿元") {
			t.Errorf("summary lacks the year-to-date total %s 亿元: %s", ytd.Shift(-4).StringFixed(2), got)
		}
		var listed []string
		for _, row := range tableAfter(t, doc, "red") {
			listed = append(listed, row[1])
		}
		if len(listed) != len(red) {
			t.Errorf("red list = %v, want the %d red projects %v", listed, len(red), red)
		}
		for _, n := range red {
			if !contains(listed, n) {
				t.Errorf("red list lacks %s", n)
			}
		}
		selfContained(t, doc)

		// The page's links are relative and resolve on the server.
		base, _ := url.Parse(srv.URL + "/reports/monthly/2025-09")
		navs := findAll(doc, tag("nav"))
		if len(navs) != 1 {
			t.Fatalf("the served page has %d nav, want 1 with the downloads", len(navs))
		}
		var got []string
		for _, a := range findAll(navs[0], tag("a")) {
			href, _ := attr(a, "href")
			u, err := base.Parse(href)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, u.Path)
			if resp, body := get(t, u.Path); resp.StatusCode != http.StatusOK {
				t.Errorf("link %s → %s = %d: %s", href, u.Path, resp.StatusCode, body)
			}
		}
		want := "/,/reports/monthly/2025-09.xlsx,/reports/monthly/2025-09.csv,/reports/monthly/2025-09.md,/reports/monthly/2025-09.txt"
		if strings.Join(got, ",") != want {
			t.Errorf("nav links resolve to %v, want %s", got, want)
		}
	})

	t.Run("downloads have their type and a Chinese file name", func(t *testing.T) {
		title := "2025年9月 重点项目投资月度调度（红黄绿榜）"
		for _, c := range []struct{ ext, ctype string }{
			{"csv", "text/csv; charset=utf-8"},
			{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
			{"md", "text/markdown; charset=utf-8"},
			{"txt", "text/plain; charset=utf-8"},
			{"html", "text/html; charset=utf-8"},
		} {
			resp, body := get(t, "/reports/monthly/2025-09."+c.ext)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != c.ctype {
				t.Errorf("GET .%s = %d %q, want 200 %q", c.ext, resp.StatusCode, resp.Header.Get("Content-Type"), c.ctype)
				continue
			}
			cd := resp.Header.Get("Content-Disposition")
			disp, params, err := mime.ParseMediaType(cd)
			// mime decodes the RFC 5987 filename* over the ASCII filename.
			if err != nil || disp != "attachment" || params["filename"] != title+"."+c.ext ||
				!strings.Contains(cd, `filename="kpp-monthly-2025-09.`+c.ext+`"`) {
				t.Errorf(".%s Content-Disposition = %q (%v)", c.ext, cd, err)
			}
			if got := decodeFilenameStar(t, cd); got != title+"."+c.ext {
				t.Errorf(".%s filename* = %q, want %q", c.ext, got, title+"."+c.ext)
			}
			switch c.ext {
			case "csv":
				r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))))
				r.FieldsPerRecord = -1
				records, err := r.ReadAll()
				if err != nil {
					t.Fatalf("csv: %v", err)
				}
				if got := len(csvTable(t, records, "项目")); got != len(board.Projects) {
					t.Errorf("csv has %d projects, want %d", got, len(board.Projects))
				}
			case "xlsx":
				f := openXLSX(t, body)
				if got := f.GetSheetList(); strings.Join(got, ",") != strings.Join(report.Sheets(), ",") {
					t.Errorf("xlsx sheets = %v", got)
				}
				if got := len(sheetTable(t, f, report.SheetProjects)); got != len(board.Projects) {
					t.Errorf("xlsx has %d projects, want %d", got, len(board.Projects))
				}
			case "md", "txt":
				if !bytes.Contains(body, []byte(title)) {
					t.Errorf(".%s lacks the title", c.ext)
				}
			}
		}
	})

	t.Run("a weekly review is served too", func(t *testing.T) {
		doc := parseHTML(t, expect(t, "/reports/weekly/2025-W41", http.StatusOK, "text/html; charset=utf-8"))
		if got := textOf(findAll(doc, tag("h1"))[0]); !strings.Contains(got, "2025年第41周") || !strings.Contains(got, "周分析") {
			t.Errorf("weekly h1 = %q", got)
		}
	})

	t.Run("errors say what is wrong", func(t *testing.T) {
		for _, c := range []struct {
			path   string
			status int
			want   []string
		}{
			{"/reports/monthly/2025-08", http.StatusNotFound, []string{"尚未计算", "kpp rollup monthly --period 2025-08"}},
			{"/reports/weekly/2025-W40.xlsx", http.StatusNotFound, []string{"尚未计算", "kpp rollup weekly --period 2025-W40"}},
			{"/reports/monthly/2025-13", http.StatusBadRequest, []string{"期间格式不正确", "2025-13", "YYYY-MM"}},
			{"/reports/weekly/2025-W60", http.StatusBadRequest, []string{"期间格式不正确", "2025 has no week 60"}},
			{"/reports/dekad/2025-09-D4.csv", http.StatusBadRequest, []string{"期间格式不正确", "2025-09-D4", "D2"}},
			{"/reports/yearly/2025", http.StatusNotFound, []string{"没有这种报告", "yearly", "weekly", "dekad", "monthly"}},
			{"/reports/monthly/2025-09.pdf", http.StatusNotFound, []string{"没有这种格式", "pdf", ".xlsx"}},
			{"/nothing/here", http.StatusNotFound, []string{"页面不存在", "reports/monthly/2025-09"}},
		} {
			body := expect(t, c.path, c.status, "text/html; charset=utf-8")
			doc := parseHTML(t, body)
			txt := textOf(doc)
			for _, w := range c.want {
				if !strings.Contains(txt, w) {
					t.Errorf("GET %s: the page lacks %q:\n%s", c.path, w, txt)
				}
			}
			// The way back to the index resolves to /.
			base, _ := url.Parse(srv.URL + c.path)
			var back []string
			for _, a := range findAll(doc, tag("a")) {
				href, _ := attr(a, "href")
				u, _ := base.Parse(href)
				back = append(back, u.Path)
			}
			if !contains(back, "/") {
				t.Errorf("GET %s: no link back to the index: %v", c.path, back)
			}
		}
		resp, err := http.Post(srv.URL+"/", "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST / = %d, want 405", resp.StatusCode)
		}
	})

	t.Run("healthz pings ClickHouse", func(t *testing.T) {
		if body := expect(t, "/healthz", http.StatusOK, "text/plain; charset=utf-8"); string(body) != "ok\n" {
			t.Errorf("healthz = %q", body)
		}
		closed, err := chstore.Open(ctx, dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		closed.Close()
		h, err := report.NewHandler(closed, report.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "clickhouse") {
			t.Errorf("healthz with a closed store = %d %q, want 503 naming clickhouse", rec.Code, rec.Body.String())
		}
	})

	t.Run("Load and LoadMonthly", func(t *testing.T) {
		r, err := report.LoadMonthly(ctx, st, schema.Period{Year: 2025, Month: time.September})
		if err != nil || len(r.Projects) != len(board.Projects) {
			t.Fatalf("LoadMonthly = %v, %v", r, err)
		}
		_, err = report.LoadMonthly(ctx, st, schema.Period{Year: 2025, Month: time.August})
		if !errors.Is(err, rollup.ErrNotComputed) || !strings.Contains(err.Error(), "kpp rollup monthly --period 2025-08") {
			t.Fatalf("LoadMonthly(2025-08) = %v, want ErrNotComputed suggesting kpp rollup monthly --period 2025-08", err)
		}
	})
}

func TestHandlerConfig(t *testing.T) {
	if _, err := report.NewHandler(nil, report.Config{}); !errors.Is(err, report.ErrInvalidConfig) {
		t.Errorf("NewHandler(nil store) = %v, want ErrInvalidConfig", err)
	}
	err := report.Config{Timeout: -time.Second}.Validate()
	if !errors.Is(err, report.ErrInvalidConfig) || !strings.Contains(err.Error(), "-1s") {
		t.Errorf("Validate(timeout -1s) = %v", err)
	}
}

// decodeFilenameStar returns the file name of an RFC 5987 filename*
// parameter of a Content-Disposition header.
func decodeFilenameStar(t *testing.T, cd string) string {
	t.Helper()
	const key = "filename*=UTF-8''"
	i := strings.Index(cd, key)
	if i < 0 {
		t.Fatalf("Content-Disposition %q has no filename*", cd)
	}
	v := cd[i+len(key):]
	if j := strings.IndexByte(v, ';'); j >= 0 {
		v = v[:j]
	}
	name, err := url.PathUnescape(v)
	if err != nil {
		t.Fatalf("filename* %q: %v", v, err)
	}
	return name
}
