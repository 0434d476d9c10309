package intake_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/keyproject/kpp/producers/intake"
)

// clerk is a browser-like client: cookies kept, redirects returned.
type clerk struct {
	e *env
	c *http.Client
}

// page is a fetched page.
type page struct {
	status   int
	location string
	doc      *html.Node
	body     string
}

func (e *env) clerk() *clerk { return &clerk{e: e, c: e.browserClient()} }

func (c *clerk) do(req *http.Request) page {
	c.e.t.Helper()
	res, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	p := page{status: res.StatusCode, location: res.Header.Get("Location"), body: string(b)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		if p.doc, err = html.Parse(bytes.NewReader(b)); err != nil {
			c.e.t.Fatal(err)
		}
	}
	return p
}

func (c *clerk) get(path string) page {
	c.e.t.Helper()
	req, _ := http.NewRequest("GET", c.e.ts.URL+path, nil)
	return c.do(req)
}

func (c *clerk) post(path string, form url.Values) page {
	c.e.t.Helper()
	req, _ := http.NewRequest("POST", c.e.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// login posts the sign-in form of the sign-in page (with its CSRF token)
// with the token.
func (c *clerk) login(token string) page {
	c.e.t.Helper()
	f := c.get("/intake/login").form(c.e.t, "login-form")
	f.Set("token", token)
	return c.post("/intake/login", f)
}

// signIn signs in with the token and checks the redirect to the projects.
func (c *clerk) signIn(token string) {
	c.e.t.Helper()
	p := c.login(token)
	if p.status != http.StatusSeeOther || p.location != "/intake/projects" {
		c.e.t.Fatalf("sign in: %d %q %s", p.status, p.location, p.body)
	}
}

// form returns the hidden and filled values of the page's form with the id.
func (p page) form(t *testing.T, id string) url.Values {
	t.Helper()
	f := byID(p.doc, id)
	if f == nil {
		t.Fatalf("no form #%s in %s", id, p.body)
	}
	v := url.Values{}
	walk(f, func(n *html.Node) {
		switch n.Data {
		case "input":
			if name := attr(n, "name"); name != "" {
				v.Set(name, attr(n, "value"))
			}
		case "textarea":
			if n.FirstChild != nil {
				v.Set(attr(n, "name"), n.FirstChild.Data)
			} else {
				v.Set(attr(n, "name"), "")
			}
		case "select":
			walk(n, func(o *html.Node) {
				if o.Data == "option" && hasAttr(o, "selected") {
					v.Set(attr(n, "name"), attr(o, "value"))
				}
			})
		}
	})
	return v
}

// fieldError returns the error shown beside the field: the text of the
// .field-error inside the same .field block as the input named name.
func (p page) fieldError(t *testing.T, name string) string {
	t.Helper()
	in := byID(p.doc, name)
	if in == nil {
		t.Fatalf("no field %s in %s", name, p.body)
	}
	block := in.Parent
	var msg string
	walk(block, func(n *html.Node) {
		if strings.Contains(attr(n, "class"), "field-error") {
			msg += text(n)
		}
	})
	return msg
}

func (p page) text(id string) string {
	if n := byID(p.doc, id); n != nil {
		return text(n)
	}
	return ""
}

func walk(n *html.Node, f func(*html.Node)) {
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func byID(doc *html.Node, id string) *html.Node {
	var found *html.Node
	if doc == nil {
		return nil
	}
	walk(doc, func(n *html.Node) {
		if found == nil && attr(n, "id") == id {
			found = n
		}
	})
	return found
}

func attr(n *html.Node, k string) string {
	for _, a := range n.Attr {
		if a.Key == k {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, k string) bool {
	for _, a := range n.Attr {
		if a.Key == k {
			return true
		}
	}
	return false
}

func text(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
		if n.Type == html.ElementNode && (n.Data == "td" || n.Data == "th" || n.Data == "br" || n.Data == "li") {
			b.WriteString(" ") // cells read apart
		}
	}
	rec(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// Signing in: a wrong token is refused with a message; the right one sets
// an HttpOnly, SameSite=Strict cookie that does not hold the token.
func TestWebSignIn(t *testing.T) {
	e := newEnv(t, intake.Config{})
	c := e.clerk()
	if p := c.get("/intake/projects"); p.status != http.StatusSeeOther || p.location != "/intake/login" {
		t.Fatalf("signed out: %d %q", p.status, p.location)
	}
	// A sign-in form that did not come from the sign-in page (login CSRF)
	// is refused.
	if p := c.post("/intake/login", url.Values{"token": {tokFGJ}}); p.status != http.StatusForbidden || !strings.Contains(p.text("login-error"), "页面已过期") {
		t.Fatalf("sign-in without the page's token: %d %s", p.status, p.body)
	}
	p := c.login("kpp_fgj_wrong")
	if p.status != http.StatusUnauthorized || !strings.Contains(p.text("login-error"), "令牌无效") {
		t.Fatalf("wrong token: %d %s", p.status, p.body)
	}
	f := c.get("/intake/login").form(t, "login-form")
	f.Set("token", tokFGJ)
	req, _ := http.NewRequest("POST", e.ts.URL+"/intake/login", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var sc *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == intake.SessionCookie {
			sc = ck
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != "/intake/" || strings.Contains(sc.Value, tokFGJ) || strings.Contains(sc.Value, "0123456789abcdef") {
		t.Fatalf("session cookie %+v", sc)
	}
	p = c.get("/intake/projects?period=2025-09")
	if p.status != 200 || !strings.Contains(p.text("projects"), "庆元抽水蓄能电站") || strings.Contains(p.body, "义龙庆") || !strings.Contains(p.text("dept"), "庆元县发展和改革局") {
		t.Fatalf("projects page: %d %s", p.status, p.body)
	}
	// A forged cookie (another department, signature copied) is refused.
	parts := strings.SplitN(sc.Value, ".", 2)
	forged := &http.Cookie{Name: intake.SessionCookie, Value: strings.Replace(parts[0], "a", "b", 1) + "." + parts[1]}
	req, _ = http.NewRequest("GET", e.ts.URL+"/intake/projects", nil)
	req.AddCookie(forged)
	res, err = http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("forged cookie: %d", res.StatusCode)
	}
	// Signing out ends the session.
	csrf := c.get("/intake/projects").form(t, "logout-form").Get("csrf")
	if p := c.post("/intake/logout", url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther || p.location != "/intake/login" {
		t.Fatalf("logout: %d %s", p.status, p.body)
	}
	if p := c.get("/intake/projects"); p.status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", p.status)
	}
}

// The clerk's round: a form with an error shows it beside the field and
// publishes nothing; fixed, it is published and the receipt shown; a
// double submit is one submission; a correction needs a reason and shows
// in the history next to the first revision.
func TestWebReportFlow(t *testing.T) {
	e := newEnv(t, intake.Config{})
	// August was reported through the API.
	if res := e.post(tokFGJ, report(pumped, "2025-08", "12000", "98000", "356000", nil)); res.status != 201 {
		t.Fatalf("August: %d %s", res.status, res.body)
	}
	c := e.clerk()
	c.signIn(tokFGJ)
	p := c.get("/intake/projects/" + pumped + "/report?period=2025-09")
	if p.status != 200 || !strings.Contains(p.body, "上月本年累计：98000.00 万元") {
		t.Fatalf("form: %d %s", p.status, p.body)
	}
	f := p.form(t, "report-form")
	f.Set("month_completed_wan", "１,２００")    // full-width digits and a separator: 1200
	f.Set("ytd_completed_wan", "90000")      // below August's 98000
	f.Set("since_start_completed_wan", "-1") // negative
	f.Set("reported_by", "王敏")
	before := e.msgs()
	p = c.post("/intake/projects/"+pumped+"/report", f)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d %s", p.status, p.body)
	}
	if msg := p.fieldError(t, "ytd_completed_wan"); !strings.Contains(msg, "「本年累计」应不小于上月累计（2025-08 第1版：98000.00 万元）") {
		t.Fatalf("ytd error beside the field: %q", msg)
	}
	if msg := p.fieldError(t, "since_start_completed_wan"); !strings.Contains(msg, "不能为负数") {
		t.Fatalf("since-start error beside the field: %q", msg)
	}
	if msg := p.fieldError(t, "month_completed_wan"); msg != "" {
		t.Fatalf("a valid field has an error: %q", msg)
	}
	if e.msgs() != before {
		t.Fatal("a form with errors published")
	}
	// The values typed are kept; fix them and submit.
	f = p.form(t, "report-form")
	if f.Get("month_completed_wan") != "１,２００" {
		t.Fatalf("typed value not kept: %q", f.Get("month_completed_wan"))
	}
	// A year-to-date that is not August's plus the month needs a reason:
	// the form asks for one beside the field.
	f.Set("ytd_completed_wan", "99000")
	f.Set("since_start_completed_wan", "357200")
	p = c.post("/intake/projects/"+pumped+"/report", f)
	if msg := p.fieldError(t, "ytd_completed_wan"); p.status != http.StatusUnprocessableEntity || !strings.Contains(msg, "即99200.00万元") || !strings.Contains(p.body, `name="correction_reason"`) {
		t.Fatalf("unexplained year-to-date: %d %q", p.status, msg)
	}
	f = p.form(t, "report-form")
	f.Set("ytd_completed_wan", "99200")
	p = c.post("/intake/projects/"+pumped+"/report", f)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/intake/receipts/") {
		t.Fatalf("good form: %d %s", p.status, p.body)
	}
	receiptURL := p.location
	r := c.get(receiptURL)
	if r.status != 200 || !strings.Contains(r.text("receipt-ok"), "已成功提交") || !strings.Contains(r.text("receipt-events"), "庆元抽水蓄能电站") {
		t.Fatalf("receipt: %d %s", r.status, r.body)
	}
	if e.msgs() != before+1 {
		t.Fatalf("published %d, want 1", e.msgs()-before)
	}
	var h intake.HistoryBody
	e.do("GET", "/api/v1/projects/"+pumped+"/reports?period=2025-09", tokFGJ, nil, nil).json(t, &h)
	if len(h.Reports) != 1 || h.Reports[0].MonthCompletedWan.String() != "1200.0000" || h.Reports[0].Source != "web" || h.Reports[0].ReportedBy != "王敏" {
		t.Fatalf("stored: %+v", h.Reports)
	}

	// The same form posted again (a double click) is the same submission.
	p = c.post("/intake/projects/"+pumped+"/report", f)
	if p.status != http.StatusSeeOther || p.location != receiptURL+"?replayed=1" || e.msgs() != before+1 {
		t.Fatalf("double submit: %d %q", p.status, p.location)
	}
	if r := c.get(p.location); !strings.Contains(r.text("replayed"), "此前已提交过") {
		t.Fatalf("replayed receipt: %s", r.body)
	}

	// Correct the month: the form says so, a reason is required.
	p = c.get("/intake/projects/" + pumped + "/report?period=2025-09")
	if !strings.Contains(p.text("correction-notice"), "第2版更正") {
		t.Fatalf("correction form: %s", p.body)
	}
	f = p.form(t, "report-form")
	if f.Get("ytd_completed_wan") != "99200.0000" || f.Get("base_revision") != "1" {
		t.Fatalf("correction form not pre-filled: %v", f)
	}
	f.Set("month_completed_wan", "1300")
	f.Set("ytd_completed_wan", "99300")
	f.Set("since_start_completed_wan", "357300")
	p = c.post("/intake/projects/"+pumped+"/report", f)
	if p.status != 422 || !strings.Contains(p.fieldError(t, "correction_reason"), "须填写更正原因") {
		t.Fatalf("correction without reason: %d %s", p.status, p.body)
	}
	f = p.form(t, "report-form")
	f.Set("correction_reason", "监理复核后调增100万元")
	p = c.post("/intake/projects/"+pumped+"/report", f)
	if p.status != http.StatusSeeOther {
		t.Fatalf("correction: %d %s", p.status, p.body)
	}
	hp := c.get("/intake/projects/" + pumped + "/history")
	rows := hp.text("history")
	i2, i1 := strings.Index(rows, "2025-09 2 当前版本"), strings.Index(rows, "2025-09 1 已被更正")
	if hp.status != 200 || i2 < 0 || i1 < 0 || i2 > i1 || !strings.Contains(rows, "监理复核后调增100万元") {
		t.Fatalf("history: %s", rows)
	}
	if e.msgs() != before+2 {
		t.Fatalf("published %d, want 2", e.msgs()-before)
	}
}

// A form opened before someone else corrected the month is refused with
// a message, and shows the new revision.
func TestWebStaleForm(t *testing.T) {
	e := newEnv(t, intake.Config{})
	c := e.clerk()
	c.signIn(tokFGJ)
	f := c.get("/intake/projects/"+park+"/report?period=2025-09").form(t, "report-form")
	if res := e.post(tokFGJ, report(park, "2025-09", "100", "500", "800", nil)); res.status != 201 {
		t.Fatal(res.status)
	}
	f.Set("month_completed_wan", "120")
	f.Set("ytd_completed_wan", "520")
	f.Set("since_start_completed_wan", "820")
	f.Set("reported_by", "李华")
	f.Set("correction_reason", "复核")
	before := e.msgs()
	p := c.post("/intake/projects/"+park+"/report", f)
	if p.status != 422 || !strings.Contains(p.text("form-errors"), "打开表单后本月已有新版本（第1版") || e.msgs() != before {
		t.Fatalf("stale form: %d %s", p.status, p.body)
	}
	// Submitted again from the refreshed page, it is a correction.
	p = c.post("/intake/projects/"+park+"/report", p.form(t, "report-form"))
	if p.status != http.StatusSeeOther || e.msgs() != before+1 {
		t.Fatalf("after refresh: %d %s", p.status, p.body)
	}
}

// Refusals of the pages: no CSRF token, another department's project, an
// unknown one; English on request.
func TestWebRefusals(t *testing.T) {
	e := newEnv(t, intake.Config{})
	c := e.clerk()
	c.signIn(tokFGJ)
	f := c.get("/intake/projects/"+pumped+"/report?period=2025-09").form(t, "report-form")
	f.Set("month_completed_wan", "1")
	f.Set("ytd_completed_wan", "1")
	f.Set("reported_by", "王敏")
	before := e.msgs()
	bad := url.Values{}
	for k, v := range f {
		bad[k] = v
	}
	bad.Set("csrf", "forged")
	if p := c.post("/intake/projects/"+pumped+"/report", bad); p.status != http.StatusForbidden || !strings.Contains(p.text("message"), "页面已过期或来源不明") {
		t.Fatalf("forged CSRF: %d %s", p.status, p.body)
	}
	bad.Del("csrf")
	if p := c.post("/intake/projects/"+pumped+"/report", bad); p.status != http.StatusForbidden {
		t.Fatalf("no CSRF: %d %s", p.status, p.body)
	}
	// Another department's project: neither the form nor a post.
	if p := c.get("/intake/projects/" + highway + "/report"); p.status != http.StatusForbidden || !strings.Contains(p.text("message"), "属于其他部门") {
		t.Fatalf("other's form: %d %s", p.status, p.body)
	}
	if p := c.post("/intake/projects/"+highway+"/report", f); p.status != http.StatusForbidden {
		t.Fatalf("other's post: %d %s", p.status, p.body)
	}
	if p := c.get("/intake/projects/" + highway + "/history"); p.status != http.StatusForbidden {
		t.Fatalf("other's history: %d %s", p.status, p.body)
	}
	if p := c.get("/intake/projects/nope/report"); p.status != http.StatusNotFound || !strings.Contains(p.text("message"), "未登记") {
		t.Fatalf("unknown project: %d %s", p.status, p.body)
	}
	if e.msgs() != before {
		t.Fatal("a refused form published")
	}
	// English: ?lang=en, then remembered.
	f.Set("month_completed_wan", "abc")
	if p := c.get("/intake/projects?lang=en"); !strings.Contains(p.body, "Our projects") {
		t.Fatalf("English: %s", p.body)
	}
	p := c.post("/intake/projects/"+pumped+"/report", f)
	if msg := p.fieldError(t, "month_completed_wan"); !strings.Contains(msg, "is not a number") {
		t.Fatalf("English error: %q", msg)
	}
}

// The upload page lists every problem by file, row and column, publishes
// nothing, and on a good sheet shows the receipt.
func TestWebUpload(t *testing.T) {
	e := newEnv(t, intake.Config{Sheets: csvSheets})
	c := e.clerk()
	c.signIn(tokFGJ)
	p := c.get("/intake/upload")
	f := p.form(t, "upload-form")
	send := func(name, content string) page {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k := range f {
			_ = mw.WriteField(k, f.Get(k))
		}
		fw, _ := mw.CreateFormFile("file", name)
		_, _ = io.WriteString(fw, content)
		_ = mw.Close()
		req, _ := http.NewRequest("POST", e.ts.URL+"/intake/upload", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return c.do(req)
	}
	head := "项目编号,部门编号,填报人,报告期,本月完成投资（万元）,本年累计完成（万元）,自开工累计完成（万元）\n"
	before := e.msgs()
	p = send("九月.csv", head+pumped+",qy-fgj,王敏,2025-09,12000,98000,356000\n"+park+",qy-fgj,王敏,2025-11,-3,500,800\n")
	tbl := p.text("problems")
	if p.status != 422 || !strings.Contains(p.text("upload-errors"), "发现 2 处问题") || !strings.Contains(tbl, "九月.csv 3 period 2025-11 月份尚未开始") ||
		!strings.Contains(tbl, "九月.csv 3 month_completed_wan -3 不能为负数") || e.msgs() != before {
		t.Fatalf("bad sheet: %d %s", p.status, tbl)
	}
	f = p.form(t, "upload-form")
	p = send("九月.csv", head+pumped+",qy-fgj,王敏,2025-09,12000,98000,356000\n"+park+",qy-fgj,王敏,2025-09,3,500,800\n")
	if p.status != http.StatusSeeOther || e.msgs() != before+2 {
		t.Fatalf("good sheet: %d %s", p.status, p.body)
	}
	if r := c.get(p.location); !strings.Contains(r.text("receipt"), "九月.csv") || !strings.Contains(r.text("receipt-counts"), "新保存 2 条") {
		t.Fatalf("receipt: %s", r.body)
	}
}
