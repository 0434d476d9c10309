package intake_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyproject/kpp/producers/credentials"
	"github.com/keyproject/kpp/producers/history"
	"github.com/keyproject/kpp/producers/intake"
	"github.com/keyproject/kpp/schema"
)

// importBody posts an import with the token.
func (e *env) importBody(token, contentType, query, body string) response {
	e.t.Helper()
	return e.do("POST", "/api/v1/imports"+query, token, strings.NewReader(body), map[string]string{"Content-Type": contentType})
}

// POST /api/v1/imports with administrator credentials of the departments
// file (kpp admin add): the import is stored with imported_by = the
// administrator's name and shows in the department's history; a
// department's token is refused with 403; a file with problems is refused
// with every problem and publishes nothing.
func TestAPIImport(t *testing.T) {
	st, err := credentials.New(credentials.Config{Path: filepath.Join(t.TempDir(), "departments.json"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	dept, err := st.Add(fgj, "庆元县发展和改革局")
	if err != nil {
		t.Fatal(err)
	}
	_, adminTok, err := st.AddAdmin("档案员李华")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, intake.Config{Auth: intake.CredentialsAuth(st), Admins: intake.CredentialsAdmins(st)})
	before := e.msgs()

	ledger := strings.Join([]string{
		`{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"档案室","project_id":"qingyuan-pumped-storage","period":"2025-08","month_completed_wan":"10000","ytd_completed_wan":"86000","since_start_completed_wan":"344000","submitted_at":"2025-09-04 16:20"}`,
		`{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"档案室","project_id":"qingyuan-pumped-storage","period":"2025-09","month_completed_wan":"12000","ytd_completed_wan":"98000","since_start_completed_wan":"356000","submitted_at":"2025-10-05T09:30:00+08:00"}`,
	}, "\n") + "\n"

	// A department's token: 403, whatever the body, nothing published.
	res := e.importBody(dept.Token, "application/x-ndjson", "", ledger)
	if res.status != http.StatusForbidden {
		t.Fatalf("department token: %d %s", res.status, res.body)
	}
	if b := res.errorBody(t); b.Error.Code != "forbidden" || !strings.Contains(b.Error.MessageZh, "只能使用管理员凭据") || !strings.Contains(b.Error.MessageZh, "部门 qy-fgj 的令牌") || !strings.Contains(b.Error.MessageEn, "administrator credentials only") {
		t.Errorf("department token refusal: %+v", b.Error)
	}
	// No token, a mistyped one: 401.
	if res := e.importBody("", "application/x-ndjson", "", ledger); res.status != http.StatusUnauthorized {
		t.Errorf("no token: %d %s", res.status, res.body)
	}
	if res := e.importBody(adminTok[:len(adminTok)-1]+"x", "application/x-ndjson", "", ledger); res.status != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d %s", res.status, res.body)
	}
	if e.msgs() != before {
		t.Fatalf("refused imports published %d messages", e.msgs()-before)
	}

	// A CSV with three problems in three rows: all listed, nothing
	// published — not even the good row.
	bad := "department_id,project_id,period,month_completed_wan,ytd_completed_wan,since_start_completed_wan,reported_by,报送时间\n" +
		"qy-fgj,qingyuan-pumped-storage,2025-06,8000,66000,324000,档案室,2025-07-05\n" +
		"qy-fgj,qingyuan-pumped-storage,2025-07,1x0,76000,334000,档案室,2025-08-05\n" +
		"qy-fgj,qingyuan-industrial-park,2025-07,100,700,900,档案室,\n" +
		"qy-fgj,qingyuan-industrial-park,2025-08,100,800,1000,档案室,2025-07-31\n"
	res = e.importBody(adminTok, "text/csv", "?name=ledger-2025.csv", bad)
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad file: %d %s", res.status, res.body)
	}
	b := res.errorBody(t)
	if b.Error.Code != "invalid" || !strings.Contains(b.Error.MessageZh, "未导入任何数据") {
		t.Errorf("bad file error: %+v", b.Error)
	}
	lines := map[int]bool{}
	for _, p := range b.Errors {
		lines[p.Line] = true
		if p.File != "ledger-2025.csv" {
			t.Errorf("problem names file %q", p.File)
		}
	}
	if !lines[3] || !lines[4] || !lines[5] || lines[2] {
		t.Errorf("problems on lines %v, want 3, 4 and 5: %+v", lines, b.Errors)
	}
	findProblem(t, b.Errors, "submitted_at", schema.RuleRequired)
	findProblem(t, b.Errors, "submitted_at", schema.RuleConsistency) // 2025-07-31 is before August began
	if e.msgs() != before {
		t.Fatalf("a file with problems published %d messages", e.msgs()-before)
	}

	// A dry run checks and publishes nothing.
	res = e.importBody(adminTok, "application/x-ndjson", "?dry_run=true", ledger)
	if res.status != http.StatusOK || e.msgs() != before {
		t.Fatalf("dry run: %d, %d published\n%s", res.status, e.msgs()-before, res.body)
	}

	// The administrator's import: stored on the import subjects with the
	// administrator's name.
	res = e.importBody(adminTok, "application/x-ndjson", "?name=ledger-2025.jsonl", ledger)
	if res.status != http.StatusCreated {
		t.Fatalf("import: %d %s", res.status, res.body)
	}
	var rc history.Receipt
	res.json(t, &rc)
	if rc.ImportedBy != "档案员李华" || len(rc.Files) != 1 || rc.Files[0].Status != "published" || rc.Files[0].Published != 2 || rc.Files[0].File != "ledger-2025.jsonl" {
		t.Fatalf("receipt: %s", res.body)
	}
	s, err := e.js.Stream(context.Background(), schema.UpdatesStream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMsg(context.Background(), rc.Files[0].LastSeq)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "kpp.v1._import.qy-fgj.investment.qingyuan-pumped-storage" || m.Header.Get(schema.HeaderImportedBy) != "档案员李华" ||
		m.Header.Get(schema.HeaderSubmittedAt) != "2025-10-05T09:30:00+08:00" || !strings.Contains(string(m.Data), `"source":"import"`) {
		t.Fatalf("stored %s %v %s", m.Subject, m.Header, m.Data)
	}
	// Sent again: duplicates, nothing new.
	res = e.importBody(adminTok, "application/x-ndjson", "", ledger)
	res.json(t, &rc)
	if res.status != http.StatusCreated || rc.Files[0].Published != 0 || rc.Files[0].Duplicates != 2 {
		t.Fatalf("import again: %d %s", res.status, res.body)
	}

	// The department sees it, marked with the administrator's name.
	var h intake.HistoryBody
	e.do("GET", "/api/v1/projects/"+pumped+"/reports", dept.Token, nil, nil).json(t, &h)
	if len(h.Reports) != 2 || !h.Reports[0].Imported || h.Reports[0].ImportedBy != "档案员李华" || h.Reports[0].Period != "2025-09" {
		t.Fatalf("history after the import: %+v", h.Reports)
	}
}

// A department token refused by the administrator verifier but accepted
// by the department one is told it is a department's (403), and a server
// without administrator credentials answers 501.
func TestAPIImportRefusals(t *testing.T) {
	admins := intake.AdminFunc(func(tok string) (intake.Admin, error) {
		if tok == "kpp_admin_secret" {
			return intake.Admin{Name: "运维张三"}, nil
		}
		return intake.Admin{}, errors.New("unknown: " + intake.ErrUnauthorized.Error())
	})
	e := newEnv(t, intake.Config{Admins: intake.AdminFunc(func(tok string) (intake.Admin, error) {
		a, err := admins(tok)
		if err != nil {
			return a, errors.Join(intake.ErrUnauthorized, err)
		}
		return a, nil
	})})
	if res := e.importBody(tokJTJ, "application/x-ndjson", "", "{}\n"); res.status != http.StatusForbidden || !strings.Contains(string(res.body), "部门 qy-jtj 的令牌") {
		t.Errorf("department token: %d %s", res.status, res.body)
	}
	if res := e.importBody("kpp_admin_secret", "application/json", "", "{}"); res.status != http.StatusBadRequest {
		t.Errorf("JSON instead of JSON Lines: %d %s", res.status, res.body)
	}
	if res := e.importBody("kpp_admin_secret", "application/x-ndjson", "", ""); res.status != http.StatusUnprocessableEntity || !strings.Contains(string(res.body), "没有可导入的记录") {
		t.Errorf("empty import: %d %s", res.status, res.body)
	}

	none := newEnv(t, intake.Config{})
	if res := none.importBody(tokFGJ, "application/x-ndjson", "", "{}\n"); res.status != http.StatusNotImplemented {
		t.Errorf("no administrator credentials: %d %s", res.status, res.body)
	}
}
