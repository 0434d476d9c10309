package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// RuleRegistered: a new project's id is already one of the department's
// projects (the new-project form; an update goes through the project's
// own registration form).
const RuleRegistered schema.Rule = "already_registered"

// registration is the department's latest registration of a project as
// stored on its subject, with when it arrived.
type registration struct {
	*schema.Project
	ReceivedAt time.Time
}

// loadRegistration returns the department's latest valid registration of
// the project on kpp.v1.<dept>.project.<project>, or nil. Unlike
// [LoadProjects] it does not wait for ingest: a registration just
// published counts, so that the next one gets the next revision.
func loadRegistration(ctx context.Context, rd reader, dept, project string) (*registration, error) {
	if !schema.ValidIdentifier(dept) || !schema.ValidIdentifier(project) {
		return nil, nil
	}
	msgs, err := readSubjects(ctx, rd, schema.SubjectFor(dept, schema.KindProject, project))
	if err != nil {
		return nil, err
	}
	var latest *registration
	for _, m := range msgs {
		ev, err := schema.Decode(schema.KindProject, m.data)
		if err != nil || ev.Validate(time.Time{}) != nil || ev.Department() != dept || ev.Project() != project {
			continue
		}
		p := ev.(*schema.Project)
		if latest == nil || p.Revision > latest.Revision {
			latest = &registration{Project: p, ReceivedAt: m.received.In(schema.Location())}
		}
	}
	return latest, nil
}

// registrationOf caches loadRegistration within one submission.
func (h *history) registrationOf(ctx context.Context, project string) (*registration, error) {
	if h.registrations == nil {
		h.registrations = map[string]*registration{}
	}
	if r, ok := h.registrations[project]; ok {
		return r, nil
	}
	r, err := loadRegistration(ctx, h.rd, h.dept, project)
	if err != nil {
		return nil, err
	}
	h.registrations[project] = r
	return r, nil
}

// prepareProject checks a registration against the stored ones and
// numbers it: a project another department owns is refused at its id
// (drop: submit need not say it again); a new project's id already used
// by the department is refused when the form asked for a new one; an
// automatic revision is 1 for a new project, the stored revision for the
// same registration sent again (stored once), else the next one.
func (s *Server) prepareProject(ctx context.Context, h *history, x *input, line int, own string, p *schema.Project) (bool, []schema.FieldError, error) {
	if own != "" && own != x.dept.ID {
		return true, []schema.FieldError{{Field: "project_id", Value: p.ProjectID, Rule: schema.RuleNotOwner,
			MessageZh: "项目编号 " + p.ProjectID + " 已登记在 " + own + " 名下，本部门不能登记或修改该项目；如为新项目，请另取项目编号；如需移交项目，请联系管理员",
			MessageEn: "project " + strconv.Quote(p.ProjectID) + " is registered to " + strconv.Quote(own) + "; a department registers and changes only its own projects (choose another id for a new project; ask the operator to transfer one)"}}, nil
	}
	var out []schema.FieldError
	switch {
	case p.DepartmentName == "":
		p.DepartmentName = x.dept.Name
	case x.dept.Name != "" && strings.TrimSpace(p.DepartmentName) != x.dept.Name:
		// The board and the workbooks list projects by this name: a
		// department registers under its own name only.
		out = append(out, schema.FieldError{Field: "department_name", Value: p.DepartmentName, Rule: RuleDepartment,
			MessageZh: "责任部门名称应为本部门的登记名称“" + x.dept.Name + "”（可留空，自动填写）",
			MessageEn: "department_name " + strconv.Quote(p.DepartmentName) + " is not this department's registered name " + strconv.Quote(x.dept.Name) + "; leave it empty and it is filled in"})
	}
	if !schema.ValidIdentifier(p.ProjectID) {
		return false, out, nil // the schema reports the id
	}
	latest, err := h.registrationOf(ctx, p.ProjectID)
	if err != nil {
		return false, nil, err
	}
	if x.newProject && (latest != nil || own == x.dept.ID) {
		name := p.ProjectID
		if latest != nil {
			name = latest.NameZh
		}
		out = append(out, schema.FieldError{Field: "project_id", Value: p.ProjectID, Rule: RuleRegistered,
			MessageZh: "项目编号 " + p.ProjectID + " 已是本部门项目“" + name + "”的编号；新项目请另取编号，修改该项目请在项目列表中点“修改登记”",
			MessageEn: "project id " + strconv.Quote(p.ProjectID) + " is already your project " + strconv.Quote(name) + "; choose another id for a new project, or change that one with “Edit registration” on the project list"})
	}
	latestRev := 0
	if latest != nil {
		latestRev = latest.Revision
	}
	if x.base != nil && !x.newProject && *x.base != latestRev {
		when := ""
		if latest != nil {
			when = latest.ReceivedAt.Format("2006-01-02 15:04")
		}
		out = append(out, schema.FieldError{Field: "revision", Value: strconv.Itoa(*x.base), Rule: RuleStale,
			MessageZh: "打开表单后该项目的登记已有新版本（第" + strconv.Itoa(latestRev) + "版，" + when + " 收到）；请核对下方已更新的内容后重新提交",
			MessageEn: "the registration was changed (revision " + strconv.Itoa(latestRev) + ", received " + when + ") after this form was opened; check the values below and submit again"})
	}
	if b, ok := x.sheetBases[line]; ok {
		base := 0
		if b != nil {
			base = *b
		}
		if fe := staleSheetProblem(p.ProjectID, base, b != nil, latest); fe != nil {
			out = append(out, *fe)
		}
	}
	if x.auto[line] {
		switch {
		case latest == nil:
			p.Revision = 1
		case sameProject(p, latest.Project):
			p.Revision = latest.Revision // sent again: stored once
		default:
			p.Revision = latest.Revision + 1
		}
	}
	return false, out, nil
}

// sameProject reports whether a and b register the same, source and
// reported_at aside, at b's revision.
func sameProject(a, b *schema.Project) bool {
	ca, cb := *a, *b
	ca.Revision = cb.Revision
	ca.Source, cb.Source = "", ""
	ca.ReportedAt, cb.ReportedAt = nil, nil
	ja, err1 := json.Marshal(&ca)
	jb, err2 := json.Marshal(&cb)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// apiRegister is POST /api/v1/projects: one registration
// (kpp.project.v1, schema optional) or an array of them.
func (s *Server) apiRegister(w http.ResponseWriter, r *http.Request) {
	d, ok := s.apiAuth(w, r)
	if !ok {
		return
	}
	key, body, items, ok := s.readItems(w, r, jsonItems{en: "registrations", zh: "项目登记",
		tooLargeEn: "send the registrations in several requests", tooLargeZh: "请分多次提交",
		expectEn: "one registration object or an array of them", expectZh: "一个项目登记对象或其数组"})
	if !ok {
		return
	}
	x := s.newInput(d, "api", key, sha256Hex([]byte("projects"), body), &submit.Input{Name: "request", Format: submit.FormatEvents})
	for i, raw := range items {
		var p schema.Project
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			x.problems = append(x.problems, submit.Problem{File: "request", Line: i + 1, FieldError: decodeProblem(err, raw)})
			continue
		}
		if p.Schema == "" {
			p.Schema = schema.SchemaProject
		}
		if p.Schema != schema.SchemaProject {
			x.problems = append(x.problems, submit.Problem{File: "request", Line: i + 1, FieldError: schema.FieldError{Field: "schema", Value: p.Schema, Rule: schema.RuleSchema,
				MessageZh: "此处只受理项目登记（kpp.project.v1）；月报请提交到 /api/v1/reports",
				MessageEn: strconv.Quote(p.Schema) + " is not accepted here; expected kpp.project.v1 or no schema field (reports go to /api/v1/reports)"}})
			continue
		}
		l := len(x.in.Records) + 1
		x.in.Records = append(x.in.Records, submit.Record{Line: l, Event: &p})
		x.origins[l] = origin{line: i + 1}
		x.auto[l] = p.Revision == 0
	}
	o, err := s.process(r.Context(), x)
	if err != nil {
		s.failure(w, r, err)
		return
	}
	s.answer(w, o)
}

// The registration form: one page for a new project (/intake/register)
// and for a change of one of the department's projects
// (/intake/projects/{project}/register), pre-filled with its current
// registration. Annual plans and milestones are rows; the form shows the
// stored ones and a few empty rows more (blank rows are ignored; clearing
// a row removes it, as a registration replaces plans and milestones as a
// whole).

// Blank rows the form offers beyond the stored plans and milestones.
const (
	extraPlanRows      = 2
	extraMilestoneRows = 3
)

// regFields are the registration form's single fields, in order.
var regFields = []string{"project_id", "name_zh", "name_en", "region", "category", "stage", "department_name",
	"responsible_unit", "responsible_person", "lead_official", "total_investment_wan", "reported_by"}

// registerArgs are the arguments of a registration field's template:
// the page, the field's name, its label (a words key for rline, the
// text for cell) and a hint key (rline) or the input mode (cell).
type registerArgs struct {
	P                 *registerPage
	Name, Label, Hint string
}

type planRow struct {
	I      int
	Months []int // 1..12
}

type registerPage struct {
	base
	New          bool
	ProjectID    string
	Name         string
	Values       map[string]string
	Errors       map[string][]string
	Top          []string
	Idem         string
	BaseRevision int
	Latest       *registration
	Categories   []schema.Category
	Stages       []schema.Stage
	Plans        []planRow
	Milestones   []int
}

func (p *registerPage) rows(plans, milestones int) {
	months := make([]int, 12)
	for i := range months {
		months[i] = i + 1
	}
	p.Plans, p.Milestones = nil, nil
	for i := 0; i < plans+extraPlanRows; i++ {
		p.Plans = append(p.Plans, planRow{I: i, Months: months})
	}
	for i := 0; i < milestones+extraMilestoneRows; i++ {
		p.Milestones = append(p.Milestones, i)
	}
}

// fill puts a registration into the form's values.
func (p *registerPage) fill(r *schema.Project) {
	v := p.Values
	v["project_id"], v["name_zh"], v["name_en"], v["region"] = r.ProjectID, r.NameZh, r.NameEn, r.Region
	v["category"], v["stage"], v["department_name"] = string(r.Category), string(r.Stage), r.DepartmentName
	v["responsible_unit"], v["responsible_person"], v["lead_official"] = r.ResponsibleUnit, r.ResponsiblePerson, r.LeadOfficial
	v["total_investment_wan"], v["reported_by"] = plainWan(r.TotalInvestmentWan), r.ReportedBy
	for i, ap := range r.AnnualPlans {
		f := "plan." + strconv.Itoa(i) + "."
		v[f+"year"], v[f+"amount"] = strconv.Itoa(ap.Year), plainWan(ap.AmountWan)
		for j, m := range ap.MonthlyWan {
			v[f+"m"+strconv.Itoa(j+1)] = plainWan(m)
		}
	}
	for i, m := range r.Milestones {
		f := "ms." + strconv.Itoa(i) + "."
		v[f+"id"], v[f+"title"], v[f+"planned"] = m.MilestoneID, m.Title, m.PlannedDate
	}
}

// plainWan renders a stored amount for the form without trailing zeros
// ("150000", "1234.5").
func plainWan(w schema.Wan) string {
	if !w.Valid() {
		return w.String()
	}
	return w.Value.String()
}

func (s *Server) newRegisterPage(w http.ResponseWriter, r *http.Request, sess *session) *registerPage {
	return &registerPage{base: s.base(w, r, sess), Values: map[string]string{}, Errors: map[string][]string{},
		Categories: schema.Categories(), Stages: schema.Stages()}
}

// registerTarget resolves the project of /intake/projects/{project}/register:
// the department's latest registration, or an answer (403 for another
// department's project, 404 for none).
func (s *Server) registerTarget(w http.ResponseWriter, r *http.Request, sess *session) (*registration, bool) {
	id := r.PathValue("project")
	lang := s.language(w, r)
	o, err := owner(r.Context(), s.js, id)
	if err != nil {
		s.webFailure(w, r, sess, err)
		return nil, false
	}
	if o != "" && o != sess.Dept {
		s.message(w, r, sess, http.StatusForbidden, fmt.Sprintf(tr(lang, "project.forbid"), id))
		return nil, false
	}
	reg, err := loadRegistration(r.Context(), s.reader(), sess.Dept, id)
	if err != nil {
		s.webFailure(w, r, sess, err)
		return nil, false
	}
	if reg == nil {
		s.message(w, r, sess, http.StatusNotFound, fmt.Sprintf(tr(lang, "project.notfound"), id))
		return nil, false
	}
	return reg, true
}

func (s *Server) webRegisterForm(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.webSession(w, r)
	if !ok {
		return
	}
	page := s.newRegisterPage(w, r, sess)
	if r.PathValue("project") == "" {
		page.New = true
		page.Values["department_name"] = sess.department().Name
		page.rows(0, 0)
	} else {
		reg, ok := s.registerTarget(w, r, sess)
		if !ok {
			return
		}
		page.ProjectID, page.Name, page.Latest, page.BaseRevision = reg.ProjectID, reg.NameZh, reg, reg.Revision
		page.fill(reg.Project)
		page.Values["reported_by"] = ""
		page.rows(len(reg.AnnualPlans), len(reg.Milestones))
	}
	var err error
	if page.Idem, err = randomHex(s.cfg.Random, 16); err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	s.render(w, http.StatusOK, "register", page)
}

// formInt reads a whole number typed into the form (a year): digits after
// [schema.FoldText]; ok is false for anything else.
func formInt(s string) (int, bool) {
	t := schema.FoldText(s)
	if t == "" || len(t) > 9 {
		return 0, false
	}
	for _, c := range t {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(t)
	return n, err == nil
}

// registrationFromForm reads the posted form into a registration. The
// form's field of each event field is recorded in fields (e.g.
// annual_plans[0].amount_wan → plan.2.amount when the first plan is the
// form's third row); problems of reading are returned by event field,
// with the rule validation would give, so that each is said once.
func registrationFromForm(f url.Values, project string) (*schema.Project, map[string]string, []schema.FieldError) {
	get := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	p := &schema.Project{Common: schema.Common{Schema: schema.SchemaProject, ReportedBy: get("reported_by")},
		ProjectID: project, NameZh: get("name_zh"), NameEn: get("name_en"), Region: get("region"),
		DepartmentName: get("department_name"), ResponsibleUnit: get("responsible_unit"),
		ResponsiblePerson: get("responsible_person"), LeadOfficial: get("lead_official"),
		TotalInvestmentWan: schema.ParseWanText(f.Get("total_investment_wan"))}
	if p.ProjectID == "" {
		p.ProjectID = schema.FoldText(f.Get("project_id"))
	}
	if c, ok := schema.ParseCategory(schema.FoldText(f.Get("category"))); ok || c != "" {
		p.Category = c
	}
	if st, ok := schema.ParseStage(schema.FoldText(f.Get("stage"))); ok || st != "" {
		p.Stage = st
	}
	fields := map[string]string{}
	var probs []schema.FieldError
	for i := 0; ; i++ {
		fp := "plan." + strconv.Itoa(i) + "."
		if _, ok := f[fp+"year"]; !ok {
			break
		}
		year, amount := get(fp+"year"), get(fp+"amount")
		var months []string
		anyMonth := false
		for m := 1; m <= 12; m++ {
			v := get(fp + "m" + strconv.Itoa(m))
			months = append(months, v)
			anyMonth = anyMonth || v != ""
		}
		if year == "" && amount == "" && !anyMonth {
			continue
		}
		n := len(p.AnnualPlans)
		ep := "annual_plans[" + strconv.Itoa(n) + "]."
		fields[ep+"year"], fields[ep+"amount_wan"], fields[ep+"monthly_wan"] = fp+"year", fp+"amount", fp+"year"
		ap := schema.AnnualPlan{AmountWan: schema.ParseWanText(amount)}
		if y, ok := formInt(year); ok {
			ap.Year = y
		} else if year == "" {
			probs = append(probs, schema.FieldError{Field: ep + "year", Rule: schema.RuleRange, MessageZh: "请填写计划年份，如 2026", MessageEn: "is required: the plan's year, e.g. 2026"})
		} else {
			probs = append(probs, schema.FieldError{Field: ep + "year", Value: year, Rule: schema.RuleRange,
				MessageZh: "不是年份，应为四位数字，如 2026", MessageEn: strconv.Quote(year) + " is not a year; expected four digits such as 2026"})
		}
		if anyMonth {
			for m, v := range months {
				fields[ep+"monthly_wan["+strconv.Itoa(m)+"]"] = fp + "m" + strconv.Itoa(m+1)
				if v == "" {
					v = "0" // a month left empty has nothing planned
				}
				ap.MonthlyWan = append(ap.MonthlyWan, schema.ParseWanText(v))
			}
		}
		p.AnnualPlans = append(p.AnnualPlans, ap)
	}
	for i := 0; ; i++ {
		fp := "ms." + strconv.Itoa(i) + "."
		if _, ok := f[fp+"id"]; !ok {
			break
		}
		id, title, planned := schema.FoldText(f.Get(fp+"id")), get(fp+"title"), get(fp+"planned")
		if id == "" && title == "" && planned == "" {
			continue
		}
		n := len(p.Milestones)
		ep := "milestones[" + strconv.Itoa(n) + "]."
		fields[ep+"milestone_id"], fields[ep+"title"], fields[ep+"planned_date"] = fp+"id", fp+"title", fp+"planned"
		d, _ := schema.ParseDateText(planned)
		p.Milestones = append(p.Milestones, schema.PlannedMilestone{MilestoneID: id, Title: title, PlannedDate: strings.TrimSpace(d)})
	}
	return p, fields, probs
}

func (s *Server) webRegister(w http.ResponseWriter, r *http.Request) {
	sess, lang, ok := s.postedForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	key := f.Get("idem")
	if !validIdempotencyKey(key) {
		s.message(w, r, sess, http.StatusBadRequest, tr(lang, "csrf"))
		return
	}
	page := s.newRegisterPage(w, r, sess)
	page.Idem = key
	project := ""
	if r.PathValue("project") == "" {
		page.New = true
	} else {
		reg, ok := s.registerTarget(w, r, sess)
		if !ok {
			return
		}
		project = reg.ProjectID
		page.ProjectID, page.Name, page.Latest, page.BaseRevision = reg.ProjectID, reg.NameZh, reg, reg.Revision
	}
	baseRev, _ := strconv.Atoi(f.Get("base_revision"))
	for k := range f {
		if k != "csrf" && k != "idem" {
			page.Values[k] = f.Get(k)
		}
	}
	ev, fields, readProbs := registrationFromForm(f, project)
	plans, mss := 0, 0
	for i := 0; ; i++ {
		if _, ok := f["plan."+strconv.Itoa(i)+".year"]; !ok {
			break
		}
		plans = i + 1
	}
	for i := 0; ; i++ {
		if _, ok := f["ms."+strconv.Itoa(i)+".id"]; !ok {
			break
		}
		mss = i + 1
	}
	page.rows(max(plans-extraPlanRows, len(ev.AnnualPlans)), max(mss-extraMilestoneRows, len(ev.Milestones)))
	canon := url.Values{}
	for k, v := range f {
		if k != "csrf" && k != "idem" {
			canon[k] = v
		}
	}
	x := s.newInput(sess.department(), "web", key, sha256Hex([]byte("register"), []byte(project), []byte(canon.Encode())), &submit.Input{Name: "form", Format: submit.FormatEvents})
	x.newProject = page.New
	if !page.New {
		x.base = &baseRev
	}
	for _, fe := range readProbs {
		x.problems = append(x.problems, submit.Problem{File: "form", Line: 1, FieldError: fe})
	}
	x.in.Records = append(x.in.Records, submit.Record{Line: 1, Event: ev})
	x.origins[1] = origin{line: 1}
	x.auto[1] = true
	o, err := s.process(r.Context(), x)
	if err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	switch {
	case o.code == codeKeyReused:
		page.Top = append(page.Top, fmt.Sprintf(tr(lang, "keyreused.register"), o.receipt.ID))
		s.render(w, http.StatusUnprocessableEntity, "register", page)
	case o.problems != nil:
		known := map[string]bool{}
		for _, k := range regFields {
			known[k] = true
		}
		for _, pl := range page.Plans {
			known["plan."+strconv.Itoa(pl.I)+".year"], known["plan."+strconv.Itoa(pl.I)+".amount"] = true, true
			for m := 1; m <= 12; m++ {
				known["plan."+strconv.Itoa(pl.I)+".m"+strconv.Itoa(m)] = true
			}
		}
		for _, i := range page.Milestones {
			for _, k := range []string{"id", "title", "planned"} {
				known["ms."+strconv.Itoa(i)+"."+k] = true
			}
		}
		for _, pr := range o.problems {
			field := pr.Field
			if ff, ok := fields[field]; ok {
				field = ff
			}
			if field == "department_id" && pr.Rule == schema.RuleNotOwner {
				field = "project_id"
			}
			if !page.New && field == "project_id" {
				field = ""
			}
			msg := pick(lang, pr.MessageZh, pr.MessageEn)
			if known[field] {
				page.Errors[field] = append(page.Errors[field], msg)
				continue
			}
			if pr.Field != "" && lang == langEn {
				msg = pr.Field + ": " + msg
			}
			page.Top = append(page.Top, msg)
		}
		s.render(w, o.status, "register", page)
	default:
		u := webPrefix + "receipts/" + o.receipt.ID
		if o.replayed {
			u += "?replayed=1"
		}
		http.Redirect(w, r, u, http.StatusSeeOther)
	}
}
