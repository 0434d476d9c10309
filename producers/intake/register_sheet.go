package intake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/keyproject/kpp/producers/submit"
	"github.com/keyproject/kpp/schema"
)

// The registration sheet (项目登记表): a department downloads its
// registrations as a workbook, changes or adds projects and uploads it.
// Each project row becomes a registration that goes through the same
// checks and numbering as the registration form and POST /api/v1/projects.

// ProjectSheetReader reads an uploaded registration workbook into the
// registrations of one department, at most maxRows rows per sheet.
// producers/sheet's ReadProjects fits through [ProjectSheetReaderOf].
type ProjectSheetReader func(name string, r io.Reader, dept string, maxRows int) (*ProjectSheet, error)

// ProjectSheet is what a [ProjectSheetReader] read from one workbook.
type ProjectSheet struct {
	// Input holds the registrations (Line = the row of the projects
	// sheet) and the problems found while reading.
	Input *submit.Input
	// Bases holds, by line, the registration revision the row was
	// downloaded at; a line without one is a new project.
	Bases map[int]int
	// Notices say what the reader did besides reading.
	Notices []Notice
	// Locate, when set, rewrites a problem found after reading to name
	// the sheet's cell.
	Locate func(submit.Problem) submit.Problem
}

// ProjectsTemplateWriter writes the department's registration workbook
// (producers/sheet's ProjectsTemplate, adapted: [SheetProjectsTemplate]).
type ProjectsTemplateWriter func(w io.Writer, in ProjectsTemplateInput) error

// ProjectsTemplateInput is what the registration workbook is filled with.
type ProjectsTemplateInput struct {
	// Department is the signed-in department.
	Department Department
	// Projects are its current registrations (latest revisions), by id.
	Projects []schema.Project
}

// RuleStaleSheet: a registration sheet row was downloaded at an older
// revision than the one stored, or names a registered project with an
// empty 登记版本.
const RuleStaleSheet schema.Rule = "stale_sheet"

// LoadProjectsTemplateInput reads the department's current registrations
// for `kpp template xlsx --kind projects`, as the download link does.
func LoadProjectsTemplateInput(ctx context.Context, js jetstream.JetStream, dept Department) (ProjectsTemplateInput, error) {
	return loadProjectsTemplateInput(ctx, defaultReader(js), dept)
}

// loadProjectsTemplateInput returns the department's latest valid
// registration of each project on its subjects — also those ingest has not
// stored yet — except projects another department owns.
func loadProjectsTemplateInput(ctx context.Context, rd reader, dept Department) (ProjectsTemplateInput, error) {
	in := ProjectsTemplateInput{Department: dept, Projects: []schema.Project{}}
	if !schema.ValidIdentifier(dept.ID) {
		return in, fmt.Errorf("department %q is not an identifier", dept.ID)
	}
	msgs, err := readSubjects(ctx, rd, schema.SubjectFor(dept.ID, schema.KindProject, "*"))
	if err != nil {
		return in, err
	}
	latest := map[string]*schema.Project{}
	for _, m := range msgs {
		ev, err := schema.Decode(schema.KindProject, m.data)
		if err != nil || ev.Validate(time.Time{}) != nil || ev.Department() != dept.ID {
			continue
		}
		p := ev.(*schema.Project)
		if old, ok := latest[p.ProjectID]; !ok || p.Revision >= old.Revision {
			latest[p.ProjectID] = p
		}
	}
	for id, p := range latest {
		o, err := owner(ctx, rd.js, id)
		if err != nil {
			return in, err
		}
		if o != "" && o != dept.ID {
			continue
		}
		in.Projects = append(in.Projects, *p)
	}
	sort.Slice(in.Projects, func(i, j int) bool { return in.Projects[i].ProjectID < in.Projects[j].ProjectID })
	return in, nil
}

// staleSheetProblem is the problem of a sheet row made from another
// revision than the stored one (nil when they agree).
func staleSheetProblem(project string, base int, hasBase bool, latest *registration) *schema.FieldError {
	latestRev := 0
	if latest != nil {
		latestRev = latest.Revision
	}
	switch {
	case latest == nil, hasBase && base == latestRev:
		// A new project (a 登记版本 copied along with a row is of no
		// registration of this department).
		return nil
	case !hasBase:
		return &schema.FieldError{Field: "revision", Rule: RuleStaleSheet,
			MessageZh: "项目编号 " + project + " 已登记为本部门项目“" + latest.NameZh + "”（第" + strconv.Itoa(latestRev) + "版），但本行“登记版本”为空（视为新项目）；新项目请另取编号，修改该项目请重新下载登记表后在其原有行中修改",
			MessageEn: "project " + strconv.Quote(project) + " is already your project " + strconv.Quote(latest.NameZh) + " (revision " + strconv.Itoa(latestRev) + ") but the row's 登记版本 is empty (a new project); choose another id for a new project, or download the registration sheet again and change the project in its own row"}
	default:
		when := ""
		if latest != nil {
			when = latest.ReceivedAt.Format("2006-01-02 15:04")
		}
		return &schema.FieldError{Field: "revision", Value: strconv.Itoa(base), Rule: RuleStaleSheet,
			MessageZh: "本行按第" + strconv.Itoa(base) + "版登记填写，但该项目现为第" + strconv.Itoa(latestRev) + "版（" + when + " 收到）；为免覆盖他人的修改，请重新下载登记表，核对后再上传",
			MessageEn: "the row was made from revision " + strconv.Itoa(base) + " but the project's registration is now revision " + strconv.Itoa(latestRev) + " (received " + when + "); download the registration sheet again, check it and upload again, so as not to overwrite another change"}
	}
}

// processProjectsUpload reads a registration workbook and submits its
// registrations through the pipeline of the form and the API.
func (s *Server) processProjectsUpload(ctx context.Context, d Department, key, name string, data []byte) (*outcome, error) {
	sh, err := s.cfg.ProjectSheets(name, bytes.NewReader(data), d.ID, s.cfg.Limits.MaxRows)
	if err == nil && (sh == nil || sh.Input == nil) {
		err = errors.New("the registration sheet reader returned nothing")
	}
	if err != nil {
		s.log.Warn("registration sheet reader failed", "department", d.ID, "file", name, "err", err)
		sh = &ProjectSheet{Input: &submit.Input{Name: name, Format: "xlsx", Problems: []submit.Problem{{File: name, FieldError: schema.FieldError{
			Rule: submit.RuleFile, MessageEn: "cannot read the file: " + err.Error(), MessageZh: "无法读取该文件：" + err.Error()}}}}}
	}
	in := sh.Input
	if in.Name == "" {
		in.Name = name
	}
	x := s.newInput(d, "xlsx", key, sha256Hex([]byte("projects"), []byte(name), data), in)
	x.notices, x.locate = append(x.notices, sh.Notices...), sh.Locate
	x.sheetBases = map[int]*int{}
	for _, rec := range in.Records {
		if _, ok := rec.Event.(*schema.Project); !ok {
			continue
		}
		x.auto[rec.Line] = true
		if b, ok := sh.Bases[rec.Line]; ok {
			x.sheetBases[rec.Line] = &b
		} else {
			x.sheetBases[rec.Line] = nil
		}
	}
	if len(in.Records) == 0 && len(in.Problems) == 0 {
		x.problems = append(x.problems, submit.Problem{File: name, FieldError: schema.FieldError{Rule: RuleEmpty,
			MessageEn: "holds no project row in sheet 项目; expected at least one", MessageZh: "“项目”表中没有项目行，请至少填写一个项目"}})
	}
	return s.process(ctx, x)
}

// apiProjectsUpload is POST /api/v1/projects/uploads: a multipart form
// with the registration workbook in the field "file".
func (s *Server) apiProjectsUpload(w http.ResponseWriter, r *http.Request) {
	d, ok := s.apiAuth(w, r)
	if !ok {
		return
	}
	key, ok := idempotencyKey(w, r)
	if !ok {
		return
	}
	if s.cfg.ProjectSheets == nil {
		writeError(w, http.StatusNotImplemented, codeNotImplemented, "registration sheets are not enabled on this server; send the registrations as JSON to /api/v1/projects",
			"本服务未启用项目登记表上传，请以JSON提交到 /api/v1/projects")
		return
	}
	name, data, status, fe := s.readUpload(w, r)
	defer cleanMultipart(r)
	if fe != nil {
		writeError(w, status, fe.Code, fe.MessageEn, fe.MessageZh)
		return
	}
	o, err := s.processProjectsUpload(r.Context(), d, key, name, data)
	if err != nil {
		s.failure(w, r, err)
		return
	}
	s.answer(w, o)
}

// projectsUploadPage is /intake/register/upload: the registration
// workbook's download link and upload form, and the problems of an upload.
type projectsUploadPage struct {
	base
	Idem         string
	Intro        string
	HasSheets    bool
	HasWorkbook  bool
	TemplatePath string
	uploadResult
}

func (s *Server) newProjectsUploadPage(w http.ResponseWriter, r *http.Request, sess *session) (*projectsUploadPage, error) {
	b := s.base(w, r, sess)
	idem, err := randomHex(s.cfg.Random, 16)
	if err != nil {
		return nil, err
	}
	return &projectsUploadPage{base: b, Idem: idem, HasSheets: s.cfg.ProjectSheets != nil, HasWorkbook: s.cfg.ProjectsTemplate != nil,
		TemplatePath: webPrefix + "projects.xlsx",
		Intro:        fmt.Sprintf(tr(b.Lang, "regup.intro"), sizeText(s.cfg.Limits.MaxUploadBytes), s.cfg.Limits.MaxRows)}, nil
}

func (s *Server) webProjectsUploadPage(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.webSession(w, r)
	if !ok {
		return
	}
	page, err := s.newProjectsUploadPage(w, r, sess)
	if err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	s.render(w, http.StatusOK, "registerupload", page)
}

func (s *Server) webProjectsUpload(w http.ResponseWriter, r *http.Request) {
	s.serveWebUpload(w, r, webUpload{
		enabled: s.cfg.ProjectSheets != nil, disabled: "regup.disabled", template: "registerupload",
		page: func(w http.ResponseWriter, r *http.Request, sess *session) (any, *uploadResult, error) {
			p, err := s.newProjectsUploadPage(w, r, sess)
			if err != nil {
				return nil, nil, err
			}
			return p, &p.uploadResult, nil
		},
		process: func(r *http.Request, d Department, key, name string, data []byte) (*outcome, error) {
			return s.processProjectsUpload(r.Context(), d, key, name, data)
		},
	})
}

// webProjectsTemplate is GET /intake/projects.xlsx: the department's
// registration workbook, pre-filled with its current registrations.
func (s *Server) webProjectsTemplate(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.webSession(w, r)
	if !ok {
		return
	}
	lang := s.language(w, r)
	if s.cfg.ProjectsTemplate == nil {
		s.message(w, r, sess, http.StatusNotImplemented, tr(lang, "notemplate"))
		return
	}
	in, err := loadProjectsTemplateInput(r.Context(), s.reader(), sess.department())
	if err != nil {
		s.webFailure(w, r, sess, err)
		return
	}
	var b bytes.Buffer
	if err := s.cfg.ProjectsTemplate(&b, in); err != nil {
		s.webFailure(w, r, sess, fmt.Errorf("write registration template for %s: %w", sess.Dept, err))
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="kpp-projects-`+sess.Dept+`.xlsx"`)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	_, _ = w.Write(b.Bytes())
}
