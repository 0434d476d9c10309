package intake

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static/*
var staticFiles embed.FS

// staticFS serves /intake/static/... once /intake/ is stripped.
var staticFS fs.FS = staticFiles

// pages are the parsed web pages, each with the layout.
type pages struct {
	m map[string]*template.Template
}

var pageNames = []string{"login", "projects", "form", "register", "receipt", "history", "upload", "registerupload", "message"}

func parsePages() (*pages, error) {
	funcs := template.FuncMap{
		"t":    tr,
		"tf":   func(lang, key string, args ...any) string { return fmt.Sprintf(tr(lang, key), args...) },
		"pick": pick,
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(schema.Location()).Format("2006-01-02 15:04")
		},
		"wan":   func(w schema.Wan) string { return w.String() },
		"label": statusLabel,
		"msf":   func(id, field string) string { return "ms." + id + "." + field },
		"args": func(p *formPage, name, label, hint string) fieldArgs {
			return fieldArgs{P: p, Name: name, Label: label, Hint: hint}
		},
		"rargs": func(p *registerPage, name, label, hint string) registerArgs {
			return registerArgs{P: p, Name: name, Label: label, Hint: hint}
		},
		"cargs": func(p *registerPage, name, label, inputmode string) registerArgs {
			return registerArgs{P: p, Name: name, Label: label, Hint: inputmode}
		},
		"inc":  func(n int) int { return n + 1 },
		"list": func(s ...string) []string { return s },
	}
	p := &pages{m: map[string]*template.Template{}}
	for _, n := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+n+".html")
		if err != nil {
			return nil, fmt.Errorf("intake: parse page %s: %w", n, err)
		}
		p.m[n] = t
	}
	return p, nil
}

func statusLabel(lang string, st schema.MilestoneStatus) string {
	if lang == langEn {
		return strings.ReplaceAll(string(st), "_", " ")
	}
	return st.Label()
}

// base is what every page shows: the language, the signed-in department,
// the CSRF token of its forms.
type base struct {
	Lang        string
	SwitchURL   string
	Dept        *Department
	CSRF        string
	HasUpload   bool
	HasTemplate bool
}

// render writes a page; a template error is logged (the page is then cut
// short, as its status is already sent).
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := s.pages.m[name].ExecuteTemplate(&b, "layout", data); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

func (s *Server) base(w http.ResponseWriter, r *http.Request, sess *session) base {
	lang := s.language(w, r)
	b := base{Lang: lang, SwitchURL: switchURL(r, lang), HasUpload: s.cfg.Sheets != nil, HasTemplate: s.cfg.Template != nil}
	if sess != nil {
		d := sess.department()
		b.Dept = &d
		b.CSRF = s.sign.csrf(sess)
	}
	return b
}

type messagePage struct {
	base
	Title string
	Text  string
}

// message renders a page with one message and a link back.
func (s *Server) message(w http.ResponseWriter, r *http.Request, sess *session, status int, text string) {
	b := s.base(w, r, sess)
	s.render(w, status, "message", messagePage{base: b, Title: tr(b.Lang, "error.title"), Text: text})
}

// webSession returns the signed-in department's session, or redirects to
// the sign-in page; it applies the rate limit.
func (s *Server) webSession(w http.ResponseWriter, r *http.Request) (*session, bool) {
	c, err := r.Cookie(SessionCookie)
	var sess *session
	if err == nil {
		sess, _ = s.sign.decode(c.Value, s.cfg.Now())
	}
	if sess == nil {
		http.Redirect(w, r, webPrefix+"login", http.StatusSeeOther)
		return nil, false
	}
	if cc, ok := s.cfg.Auth.(CredentialChecker); ok {
		current, err := cc.Current(sess.Dept, sess.Cred)
		if err != nil {
			s.log.Error("check the session's credential", "department", sess.Dept, "error", err)
			http.Error(w, "credentials unavailable; try again later / 凭据暂不可用，请稍后再试", http.StatusServiceUnavailable)
			return nil, false
		}
		if !current {
			// The token was rotated or the department disabled: sign in again.
			s.log.Info("session ended: its credential is no longer current", "department", sess.Dept)
			s.setCookie(w, r, SessionCookie, "", -1, true, http.SameSiteStrictMode)
			http.Redirect(w, r, webPrefix+"login", http.StatusSeeOther)
			return nil, false
		}
	}
	if !s.allow(w, sess.department()) {
		lang := s.language(w, r)
		s.message(w, r, sess, http.StatusTooManyRequests, fmt.Sprintf(tr(lang, "ratelimited"), w.Header().Get("Retry-After")))
		return nil, false
	}
	return sess, true
}

// checkCSRF checks the form's CSRF token; it answers 403 when it fails.
func (s *Server) checkCSRF(w http.ResponseWriter, r *http.Request, sess *session) bool {
	if s.sign.checkCSRF(sess, r.FormValue("csrf")) {
		return true
	}
	s.log.Info("CSRF token refused", "department", sess.Dept, "path", r.URL.Path)
	s.message(w, r, sess, http.StatusForbidden, tr(s.language(w, r), "csrf"))
	return false
}

func (s *Server) webHome(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if _, ok := s.sign.decode(c.Value, s.cfg.Now()); ok {
			http.Redirect(w, r, webPrefix+"projects", http.StatusSeeOther)
			return
		}
	}
	http.Redirect(w, r, webPrefix+"login", http.StatusSeeOther)
}

type loginPage struct {
	base
	Error string
	// CSRF is the sign-in form's double-submit token: the same random
	// value in a cookie and in the form, so another site cannot sign a
	// clerk in as its own department (login CSRF).
	CSRF string
}

// LoginCSRFCookie holds the sign-in form's double-submit token.
const LoginCSRFCookie = "kpp_login_csrf"

// renderLogin renders the sign-in page with a fresh sign-in token.
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, b base, errMsg string) {
	tok, err := randomHex(s.cfg.Random, 16)
	if err != nil {
		s.failure(w, r, err)
		return
	}
	s.setCookie(w, r, LoginCSRFCookie, tok, 3600, true, http.SameSiteStrictMode)
	s.render(w, status, "login", loginPage{base: b, Error: errMsg, CSRF: tok})
}

func (s *Server) webLoginPage(w http.ResponseWriter, r *http.Request) {
	s.renderLogin(w, r, http.StatusOK, s.base(w, r, nil), "")
}

func (s *Server) webLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	b := s.base(w, r, nil)
	if c, err := r.Cookie(LoginCSRFCookie); err != nil || c.Value == "" ||
		subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("login_csrf"))) != 1 {
		s.log.Info("sign-in refused: the form did not come from the sign-in page", "remote", r.RemoteAddr)
		s.renderLogin(w, r, http.StatusForbidden, b, tr(b.Lang, "csrf"))
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	if token == "" {
		s.renderLogin(w, r, http.StatusBadRequest, b, tr(b.Lang, "login.missing"))
		return
	}
	d, err := s.verify(token)
	if err != nil {
		if !errors.Is(err, ErrUnauthorized) {
			s.log.Error("cannot verify department tokens", "path", r.URL.Path, "err", err)
			s.renderLogin(w, r, http.StatusServiceUnavailable, b, tr(b.Lang, "unavailable"))
			return
		}
		s.log.Info("sign-in refused", "remote", r.RemoteAddr, "err", err)
		msg := tr(b.Lang, "login.bad")
		var ref *TokenRefusal
		if errors.As(err, &ref) && ref.MessageZh != "" {
			en, zh := refusal(err)
			msg = pick(b.Lang, zh, en)
		}
		s.renderLogin(w, r, http.StatusUnauthorized, b, msg)
		return
	}
	s.setCookie(w, r, LoginCSRFCookie, "", -1, true, http.SameSiteStrictMode)
	nonce, err := randomHex(s.cfg.Random, 16)
	if err != nil {
		s.failure(w, r, err)
		return
	}
	sess := &session{Dept: d.ID, Name: d.Name, Cred: d.Credential, Exp: s.cfg.Now().Add(s.cfg.SessionTTL).Unix(), Nonce: nonce}
	s.setCookie(w, r, SessionCookie, s.sign.encode(sess), int(s.cfg.SessionTTL.Seconds()), true, http.SameSiteStrictMode)
	s.log.Info("signed in", "department", d.ID)
	http.Redirect(w, r, webPrefix+"projects", http.StatusSeeOther)
}

func (s *Server) webLogout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	sess, ok := s.webSession(w, r)
	if !ok || !s.checkCSRF(w, r, sess) {
		return
	}
	s.setCookie(w, r, SessionCookie, "", -1, true, http.SameSiteStrictMode)
	http.Redirect(w, r, webPrefix+"login", http.StatusSeeOther)
}

// periodParam reads ?period=, defaulting to the month before now (the one
// being reported in the first days of a month).
func (s *Server) periodParam(v string) (schema.Period, bool) {
	if v == "" {
		return schema.PeriodOf(s.cfg.Now()).Prev(), true
	}
	p, err := schema.ParsePeriod(v)
	return p, err == nil
}

// monthOptions are the months a clerk can pick: this one and the twelve
// before it, newest first, plus the selected one if older.
func (s *Server) monthOptions(sel schema.Period) []string {
	cur := schema.PeriodOf(s.cfg.Now())
	var out []string
	found := false
	for i := 0; i < 13; i++ {
		out = append(out, cur.String())
		found = found || cur == sel
		cur = cur.Prev()
	}
	if !found {
		out = append(out, sel.String())
	}
	return out
}

type projectRow struct {
	Project
	Latest *Report
	First  *Report
}

type projectsPage struct {
	base
	Period string
	Months []string
	Rows   []projectRow
}

func (s *Server) webProjects(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.webSession(w, r)
	if !ok {
		return
	}
	b := s.base(w, r, sess)
	period, ok := s.periodParam(r.URL.Query().Get("period"))
	if !ok {
		s.message(w, r, sess, http.StatusBadRequest, pick(b.Lang, "报告期应为 YYYY-MM，如 2025-09", "the month must be YYYY-MM, e.g. 2025-09"))
		return
	}
	ps, err := loadProjects(r.Context(), s.reader(), sess.Dept)
	if err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	reports, err := loadReports(r.Context(), s.reader(), schema.SubjectFor(sess.Dept, schema.KindInvestment, "*"))
	if err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	page := projectsPage{base: b, Period: period.String(), Months: s.monthOptions(period)}
	for _, p := range ps {
		page.Rows = append(page.Rows, projectRow{Project: p, Latest: latestOf(reports[p.ID], period.String()), First: firstOf(reports[p.ID], period.String())})
	}
	s.render(w, http.StatusOK, "projects", page)
}

// webFailure answers an unexpected error with a page.
func (s *Server) webFailure(w http.ResponseWriter, r *http.Request, sess *session, err error) {
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	lang := s.language(w, r)
	if errors.Is(err, ErrHistoryTooLong) {
		n := s.cfg.Limits.MaxHistoryMessages
		s.message(w, r, sess, http.StatusServiceUnavailable, pick(lang,
			fmt.Sprintf("本页需读取的填报历史超过 %d 条（单次读取上限），未保存任何内容；请联系管理员调高 kpp serve --max-history。", n),
			fmt.Sprintf("The stored history this page needs has more than %d messages, the most the intake reads at once; nothing was recorded. Ask the operator to raise kpp serve --max-history.", n)))
		return
	}
	if errors.Is(err, ErrNATS) {
		w.Header().Set("Retry-After", "5")
		s.message(w, r, sess, http.StatusServiceUnavailable, tr(lang, "unavailable"))
		return
	}
	s.message(w, r, sess, http.StatusInternalServerError, pick(lang, "服务器内部错误，请联系管理员。", "Internal error; please tell the operator."))
}

// ownedProject finds the department's project, or answers 404/403.
func (s *Server) ownedProject(w http.ResponseWriter, r *http.Request, sess *session) (Project, bool) {
	id := r.PathValue("project")
	lang := s.language(w, r)
	o, err := owner(r.Context(), s.js, id)
	if err != nil {
		s.webFailure(w, r, sess, err)
		return Project{}, false
	}
	if o != "" && o != sess.Dept {
		s.message(w, r, sess, http.StatusForbidden, fmt.Sprintf(tr(lang, "project.forbid"), id))
		return Project{}, false
	}
	ps, err := loadProjects(r.Context(), s.reader(), sess.Dept)
	if err != nil {
		s.webFailure(w, r, sess, err)
		return Project{}, false
	}
	for _, p := range ps {
		if p.ID == id {
			return p, true
		}
	}
	s.message(w, r, sess, http.StatusNotFound, fmt.Sprintf(tr(lang, "project.notfound"), id))
	return Project{}, false
}

// The fields of the web form that errors are shown beside.
var formFields = []string{"month_completed_wan", "ytd_completed_wan", "since_start_completed_wan", "physical_progress",
	"problems", "next_steps", "correction_reason", "reported_by"}

var msFields = []string{"status", "forecast_date", "actual_date", "percent_complete", "note"}

type msRow struct {
	ID      string
	Title   string
	Planned string
	// Latest describes the stored state, e.g. "推进中 60% (2025-09-30)".
	Latest string
}

// fieldArgs are the arguments of a form field's template.
type fieldArgs struct {
	P                 *formPage
	Name, Label, Hint string
}

type formPage struct {
	base
	Project      Project
	Period       string
	Values       map[string]string
	Errors       map[string][]string
	Top          []string
	Latest       *Report
	NextRevision int
	PrevYTD      string
	AnnualPlan   string
	Idem         string
	BaseRevision int
	Milestones   []msRow
	Statuses     []schema.MilestoneStatus
}

// formState loads what the form shows besides the values: the month's
// latest revision, last month's year to date, the milestones.
func (s *Server) formState(r *http.Request, p Project, period schema.Period, page *formPage) (map[string]milestoneState, error) {
	reports, err := loadProjectReports(r.Context(), s.reader(), page.Dept.ID, p.ID)
	if err != nil {
		return nil, err
	}
	page.Project, page.Period = p, period.String()
	page.Latest = latestOf(reports, period.String())
	page.BaseRevision, page.NextRevision = 0, 1
	if page.Latest != nil {
		page.BaseRevision, page.NextRevision = page.Latest.Revision, page.Latest.Revision+1
	}
	if period.Month != time.January {
		if prev := latestOf(reports, period.Prev().String()); prev != nil {
			page.PrevYTD = prev.YTDCompletedWan.Display()
		}
	}
	if plan, ok := p.AnnualPlan(period.Year); ok {
		page.AnnualPlan = schema.DisplayWan(plan)
	}
	states, err := loadMilestones(r.Context(), s.reader(), page.Dept.ID, p.ID)
	if err != nil {
		return nil, err
	}
	page.Milestones = nil
	for _, m := range p.Milestones {
		row := msRow{ID: m.MilestoneID, Title: m.Title, Planned: m.PlannedDate}
		if st, ok := states[m.MilestoneID]; ok {
			u := st.update
			row.Latest = statusLabel(page.Lang, u.Status)
			if u.PercentComplete != nil {
				row.Latest += " " + u.PercentComplete.String() + "%"
			}
			row.Latest += " (" + u.AsOf + ")"
		}
		page.Milestones = append(page.Milestones, row)
	}
	page.Statuses = schema.MilestoneStatuses()
	return states, nil
}

func (s *Server) webForm(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.webSession(w, r)
	if !ok {
		return
	}
	p, ok := s.ownedProject(w, r, sess)
	if !ok {
		return
	}
	b := s.base(w, r, sess)
	period, ok := s.periodParam(r.URL.Query().Get("period"))
	if !ok {
		s.message(w, r, sess, http.StatusBadRequest, pick(b.Lang, "报告期应为 YYYY-MM，如 2025-09", "the month must be YYYY-MM, e.g. 2025-09"))
		return
	}
	page := &formPage{base: b, Values: map[string]string{}, Errors: map[string][]string{}}
	states, err := s.formState(r, p, period, page)
	if err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	if l := page.Latest; l != nil {
		v := page.Values
		v["month_completed_wan"] = l.MonthCompletedWan.String()
		v["ytd_completed_wan"] = l.YTDCompletedWan.String()
		v["since_start_completed_wan"] = l.SinceStartCompletedWan.String()
		v["physical_progress"], v["problems"], v["next_steps"], v["reported_by"] = l.PhysicalProgress, l.Problems, l.NextSteps, l.ReportedBy
	}
	for id, st := range states {
		u := st.update
		page.Values["ms."+id+".status"] = string(u.Status)
		page.Values["ms."+id+".forecast_date"] = u.ForecastDate
		page.Values["ms."+id+".actual_date"] = u.ActualDate
		page.Values["ms."+id+".note"] = u.Note
		if u.PercentComplete != nil {
			page.Values["ms."+id+".percent_complete"] = u.PercentComplete.String()
		}
	}
	if page.Idem, err = randomHex(s.cfg.Random, 16); err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	s.render(w, http.StatusOK, "form", page)
}

// formWan reads an amount typed into the form with the one text parser
// of typed values, [schema.ParseWanText]; an invalid one keeps what was
// typed, for the message.
func formWan(s string) schema.Wan { return schema.ParseWanText(s) }

// formPercent reads a percentage typed into the form: an amount-like
// decimal with an optional trailing % (full-width too).
func formPercent(s string) schema.Wan {
	w := schema.ParseWanText(strings.TrimSuffix(schema.FoldText(s), "%"))
	if w.Raw != "" {
		w.Raw = strings.TrimSpace(s)
	}
	return w
}

// formDate reads a date typed into the form with [schema.ParseDateText].
func formDate(s string) string {
	d, _ := schema.ParseDateText(s)
	return strings.TrimSpace(d)
}

// postedForm reads a posted form of a signed-in clerk within the body
// limit and checks its CSRF token; it answers the refusal and returns false
// otherwise.
func (s *Server) postedForm(w http.ResponseWriter, r *http.Request) (*session, string, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.Limits.MaxBodyBytes)
	sess, ok := s.webSession(w, r)
	if !ok {
		return nil, "", false
	}
	lang := s.language(w, r)
	if err := r.ParseForm(); err != nil {
		if tooLarge(err) {
			s.message(w, r, sess, http.StatusRequestEntityTooLarge, fmt.Sprintf(tr(lang, "toolarge"), sizeText(s.cfg.Limits.MaxBodyBytes)))
			return nil, "", false
		}
		s.message(w, r, sess, http.StatusBadRequest, err.Error())
		return nil, "", false
	}
	if !s.checkCSRF(w, r, sess) {
		return nil, "", false
	}
	return sess, lang, true
}

func (s *Server) webSubmit(w http.ResponseWriter, r *http.Request) {
	sess, lang, ok := s.postedForm(w, r)
	if !ok {
		return
	}
	p, ok := s.ownedProject(w, r, sess)
	if !ok {
		return
	}
	f := r.PostForm
	key := f.Get("idem")
	period, okPeriod := s.periodParam(f.Get("period"))
	if !validIdempotencyKey(key) || !okPeriod {
		s.message(w, r, sess, http.StatusBadRequest, tr(lang, "csrf"))
		return
	}
	baseRev, _ := strconv.Atoi(f.Get("base_revision"))
	page := &formPage{base: s.base(w, r, sess), Values: map[string]string{}, Errors: map[string][]string{}, Idem: key}
	states, err := s.formState(r, p, period, page)
	if err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	for k := range f {
		if k != "csrf" && k != "idem" {
			page.Values[k] = f.Get(k)
		}
	}
	ri := ReportInput{ProjectID: p.ID, Period: period.String(), ReportedBy: strings.TrimSpace(f.Get("reported_by")),
		MonthCompletedWan: formWan(f.Get("month_completed_wan")), YTDCompletedWan: formWan(f.Get("ytd_completed_wan")),
		SinceStartCompletedWan: formWan(f.Get("since_start_completed_wan")),
		PhysicalProgress:       strings.TrimSpace(f.Get("physical_progress")), Problems: strings.TrimSpace(f.Get("problems")),
		NextSteps: strings.TrimSpace(f.Get("next_steps")), CorrectionReason: strings.TrimSpace(f.Get("correction_reason"))}
	var msIDs []string
	for _, m := range p.Milestones {
		pf := "ms." + m.MilestoneID + "."
		st := schema.MilestoneStatus(f.Get(pf + "status"))
		if st == "" {
			continue
		}
		mi := MilestoneInput{MilestoneID: m.MilestoneID, Status: st, ForecastDate: formDate(f.Get(pf + "forecast_date")),
			ActualDate: formDate(f.Get(pf + "actual_date")), Note: strings.TrimSpace(f.Get(pf + "note")),
			PercentComplete: formPercent(f.Get(pf + "percent_complete"))}
		if old, ok := states[m.MilestoneID]; ok && mi.PercentComplete.Raw == "" {
			cand := schema.MilestoneUpdate{Status: mi.Status, ForecastDate: mi.ForecastDate, ActualDate: mi.ActualDate, Note: mi.Note}
			if mi.PercentComplete.Valid() {
				v := mi.PercentComplete.Value
				cand.PercentComplete = &v
			}
			if sameMilestone(&cand, &old.update) {
				continue // shown as stored; nothing new to send
			}
		}
		ri.Milestones = append(ri.Milestones, mi)
		msIDs = append(msIDs, m.MilestoneID)
	}
	canon := url.Values{}
	for k, v := range f {
		if k != "csrf" && k != "idem" {
			canon[k] = v
		}
	}
	x := s.newInput(sess.department(), "web", key, sha256Hex([]byte(p.ID), []byte(canon.Encode())), &submit.Input{Name: "form", Format: submit.FormatEvents})
	x.base = &baseRev
	s.addReport(x, 1, "", ri)
	// The form names milestone fields ms.<id>.<field>.
	for l, o := range x.origins {
		if strings.HasPrefix(o.prefix, "milestones[") {
			i, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(o.prefix, "milestones["), "]."))
			x.origins[l] = origin{line: o.line, prefix: "ms." + msIDs[i] + "."}
		}
	}
	for i := range x.problems {
		if rest, ok := strings.CutPrefix(x.problems[i].Field, "milestones["); ok {
			idx, field, _ := strings.Cut(rest, "].")
			i2, _ := strconv.Atoi(idx)
			x.problems[i].Field = "ms." + msIDs[i2] + "." + field
		}
	}
	o, err := s.process(r.Context(), x)
	if err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	switch {
	case o.code == codeKeyReused:
		page.Top = append(page.Top, fmt.Sprintf(tr(lang, "keyreused"), o.receipt.ID))
		s.render(w, http.StatusUnprocessableEntity, "form", page)
	case o.problems != nil:
		known := map[string]bool{}
		for _, k := range formFields {
			known[k] = true
		}
		for _, m := range p.Milestones {
			for _, k := range msFields {
				known["ms."+m.MilestoneID+"."+k] = true
			}
		}
		for _, pr := range o.problems {
			msg := pick(lang, pr.MessageZh, pr.MessageEn)
			if known[pr.Field] {
				page.Errors[pr.Field] = append(page.Errors[pr.Field], msg)
				continue
			}
			if pr.Field != "" && lang == langEn {
				msg = pr.Field + ": " + msg
			}
			page.Top = append(page.Top, msg)
		}
		s.render(w, o.status, "form", page)
	default:
		u := webPrefix + "receipts/" + o.receipt.ID
		if o.replayed {
			u += "?replayed=1"
		}
		http.Redirect(w, r, u, http.StatusSeeOther)
	}
}

type receiptRow struct {
	ReceiptEvent
	Name string
}

type receiptPage struct {
	base
	Receipt  *Receipt
	Rows     []receiptRow
	Replayed bool
}

func (s *Server) webReceipt(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.webSession(w, r)
	if !ok {
		return
	}
	b := s.base(w, r, sess)
	rc, err := s.receipts.get(r.Context(), sess.Dept, r.PathValue("id"))
	if err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	if rc == nil {
		s.message(w, r, sess, http.StatusNotFound, tr(b.Lang, "receipt.notfound"))
		return
	}
	ps, err := loadProjects(r.Context(), s.reader(), sess.Dept)
	if err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	names := map[string]string{}
	for _, p := range ps {
		names[p.ID] = p.Name()
	}
	page := receiptPage{base: b, Receipt: rc, Replayed: r.URL.Query().Get("replayed") == "1"}
	for _, e := range rc.Events {
		n := names[e.ProjectID]
		if n == "" {
			n = e.ProjectID
		}
		page.Rows = append(page.Rows, receiptRow{ReceiptEvent: e, Name: n})
	}
	s.render(w, http.StatusOK, "receipt", page)
}

type historyPage struct {
	base
	Project Project
	Reports []Report
}

func (s *Server) webHistory(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.webSession(w, r)
	if !ok {
		return
	}
	p, ok := s.ownedProject(w, r, sess)
	if !ok {
		return
	}
	rs, err := loadProjectReports(r.Context(), s.reader(), sess.Dept, p.ID)
	if err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	s.render(w, http.StatusOK, "history", historyPage{base: s.base(w, r, sess), Project: p, Reports: rs})
}

type uploadPage struct {
	base
	Period string
	Months []string
	Idem   string
	Intro  string
	uploadResult
}

func (s *Server) newUploadPage(w http.ResponseWriter, r *http.Request, sess *session) (*uploadPage, error) {
	b := s.base(w, r, sess)
	period, ok := s.periodParam(r.URL.Query().Get("period"))
	if !ok {
		period, _ = s.periodParam("")
	}
	idem, err := randomHex(s.cfg.Random, 16)
	if err != nil {
		return nil, err
	}
	return &uploadPage{base: b, Period: period.String(), Months: s.monthOptions(period), Idem: idem,
		Intro: fmt.Sprintf(tr(b.Lang, "upload.intro"), sizeText(s.cfg.Limits.MaxUploadBytes), s.cfg.Limits.MaxRows)}, nil
}

func (s *Server) webUploadPage(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.webSession(w, r)
	if !ok {
		return
	}
	page, err := s.newUploadPage(w, r, sess)
	if err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	s.render(w, http.StatusOK, "upload", page)
}

func (s *Server) webUpload(w http.ResponseWriter, r *http.Request) {
	s.serveWebUpload(w, r, webUpload{
		enabled: s.cfg.Sheets != nil, disabled: "upload.disabled", template: "upload",
		page: func(w http.ResponseWriter, r *http.Request, sess *session) (any, *uploadResult, error) {
			p, err := s.newUploadPage(w, r, sess)
			if err != nil {
				return nil, nil, err
			}
			return p, &p.uploadResult, nil
		},
		process: s.processUpload,
	})
}

// uploadResult is what an upload page shows of the upload just sent.
type uploadResult struct {
	File     string
	Problems []submit.Problem
	Notices  []Notice
	Top      string
}

// webUpload is what differs between the web's uploads (the monthly sheet,
// the registration workbook): whether the server takes them, the page and
// its template, and how the file is submitted.
type webUpload struct {
	enabled            bool
	disabled, template string
	page               func(http.ResponseWriter, *http.Request, *session) (any, *uploadResult, error)
	process            func(r *http.Request, d Department, key, name string, data []byte) (*outcome, error)
}

// serveWebUpload receives a web upload: size, CSRF and idempotency key are
// checked, the file is submitted, and the page shows its problems, or the
// browser goes to the receipt.
func (s *Server) serveWebUpload(w http.ResponseWriter, r *http.Request, u webUpload) {
	sess, ok := s.webSession(w, r)
	if !ok {
		return
	}
	lang := s.language(w, r)
	if !u.enabled {
		s.message(w, r, sess, http.StatusNotImplemented, tr(lang, u.disabled))
		return
	}
	name, data, status, fe := s.readUpload(w, r)
	defer cleanMultipart(r)
	if fe != nil && fe.Code == codeTooLarge {
		s.message(w, r, sess, status, fmt.Sprintf(tr(lang, "toolarge"), sizeText(s.cfg.Limits.MaxUploadBytes)))
		return
	}
	if !s.checkCSRF(w, r, sess) {
		return
	}
	page, res, err := u.page(w, r, sess)
	if err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	if fe != nil {
		res.Top = pick(lang, fe.MessageZh, fe.MessageEn)
		s.render(w, status, u.template, page)
		return
	}
	key := r.FormValue("idem")
	if !validIdempotencyKey(key) {
		s.message(w, r, sess, http.StatusBadRequest, tr(lang, "csrf"))
		return
	}
	o, err := u.process(r, sess.department(), key, name, data)
	if err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	switch {
	case o.code == codeKeyReused:
		res.Top = fmt.Sprintf(tr(lang, "keyreused"), o.receipt.ID)
		s.render(w, http.StatusUnprocessableEntity, u.template, page)
	case o.problems != nil:
		res.File, res.Problems, res.Notices = name, o.problems, o.notices
		sort.SliceStable(res.Problems, func(i, j int) bool { return res.Problems[i].Line < res.Problems[j].Line })
		s.render(w, o.status, u.template, page)
	default:
		to := webPrefix + "receipts/" + o.receipt.ID
		if o.replayed {
			to += "?replayed=1"
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
	}
}

func (s *Server) webTemplate(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.webSession(w, r)
	if !ok {
		return
	}
	lang := s.language(w, r)
	if s.cfg.Template == nil {
		s.message(w, r, sess, http.StatusNotImplemented, tr(lang, "notemplate"))
		return
	}
	period, ok := s.periodParam(r.URL.Query().Get("period"))
	if !ok {
		s.message(w, r, sess, http.StatusBadRequest, pick(lang, "报告期应为 YYYY-MM，如 2025-09", "the month must be YYYY-MM, e.g. 2025-09"))
		return
	}
	in, err := loadTemplateInput(r.Context(), s.reader(), sess.department(), period)
	if err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	var b bytes.Buffer
	if err := s.cfg.Template(&b, in); err != nil {
		s.webFailure(w, r, sess, fmt.Errorf("write template for %s %s: %w", sess.Dept, period, err))
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="kpp-`+sess.Dept+"-"+period.String()+`.xlsx"`)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	_, _ = w.Write(b.Bytes())
}

func (s *Server) webNotFound(w http.ResponseWriter, r *http.Request) {
	var sess *session
	if c, err := r.Cookie(SessionCookie); err == nil {
		sess, _ = s.sign.decode(c.Value, s.cfg.Now())
	}
	s.message(w, r, sess, http.StatusNotFound, tr(s.language(w, r), "notfound"))
}
