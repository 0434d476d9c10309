package intake

import (
	"errors"
	"io"

	"github.com/keyproject/kpp/producers/credentials"
	"github.com/keyproject/kpp/producers/sheet"
)

// CredentialsAuth verifies tokens with the departments file of
// producers/credentials: a refused token (*credentials.TokenError) becomes
// a [*TokenRefusal] with the store's own message; any other error (the file
// cannot be read) is the server's problem (503).
//
// It is also a [CredentialChecker]: a web session ends at its next request
// once its token was rotated, or its department disabled or removed.
func CredentialsAuth(st *credentials.Store) Authenticator { return credentialsAuth{st} }

type credentialsAuth struct{ st *credentials.Store }

func (a credentialsAuth) Verify(token string) (Department, error) {
	d, err := a.st.Verify(token)
	var te *credentials.TokenError
	if errors.As(err, &te) {
		return Department{}, &TokenRefusal{MessageEn: te.MessageEn, MessageZh: te.MessageZh, Err: te}
	}
	if err != nil {
		return Department{}, err
	}
	return Department{ID: d.ID, Name: d.Name, Credential: d.TokenID}, nil
}

func (a credentialsAuth) Current(dept, credential string) (bool, error) {
	d, err := a.st.Get(dept)
	if errors.Is(err, credentials.ErrUnknownDepartment) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !d.Disabled && d.TokenID == credential, nil
}

// SheetReaderOf reads uploads with producers/sheet. opts gives the clock
// (Now, the same as [Config.Now]) and the reader's own limits; the
// department and the row limit come from each upload.
func SheetReaderOf(opts sheet.Options) SheetReader {
	return func(name string, r io.Reader, dept string, maxRows int) (*Sheet, error) {
		o := opts
		o.DepartmentID, o.MaxRows = dept, maxRows
		up, err := sheet.ReadUpload(name, r, o)
		if err != nil {
			return nil, err
		}
		s := &Sheet{Input: up.Input, Locate: up.Locate}
		for _, n := range up.Notices {
			s.Notices = append(s.Notices, Notice{Code: n.Code, MessageEn: n.MessageEn, MessageZh: n.MessageZh})
		}
		return s, nil
	}
}

// ProjectSheetReaderOf reads registration workbooks with producers/sheet
// (ReadProjects); opts as for [SheetReaderOf].
func ProjectSheetReaderOf(opts sheet.Options) ProjectSheetReader {
	return func(name string, r io.Reader, dept string, maxRows int) (*ProjectSheet, error) {
		o := opts
		o.DepartmentID, o.MaxRows = dept, maxRows
		up, err := sheet.ReadProjects(name, r, o)
		if err != nil {
			return nil, err
		}
		s := &ProjectSheet{Input: up.Input, Bases: up.Bases, Locate: up.Locate}
		for _, n := range up.Notices {
			s.Notices = append(s.Notices, Notice{Code: n.Code, MessageEn: n.MessageEn, MessageZh: n.MessageZh})
		}
		return s, nil
	}
}

// SheetProjectsTemplate writes the registration workbook with
// producers/sheet (ProjectsTemplate).
func SheetProjectsTemplate(w io.Writer, in ProjectsTemplateInput) error {
	return sheet.ProjectsTemplate(w, sheet.ProjectsTemplateInput{DepartmentID: in.Department.ID, DepartmentName: in.Department.Name, Projects: in.Projects})
}

// SheetTemplate writes the template with producers/sheet.
func SheetTemplate(w io.Writer, in TemplateInput) error {
	t := sheet.TemplateInput{DepartmentID: in.Department.ID, DepartmentName: in.Department.Name, Period: in.Period}
	for _, p := range in.Projects {
		t.Projects = append(t.Projects, sheet.ProjectInfo{ID: p.ID, NameZh: p.NameZh, AnnualPlanWan: p.AnnualPlanWan, LastYTDWan: p.LastYTDWan})
	}
	return sheet.Template(w, t)
}
