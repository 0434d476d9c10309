package schema_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

const schemaBase = "https://kpp.example/schema/"

func compileSchemas(t *testing.T) map[schema.Kind]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	err := fs.WalkDir(schema.JSONSchemas(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(schema.JSONSchemas(), path)
		if err != nil {
			return err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return err
		}
		return c.AddResource(schemaBase+path, doc)
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[schema.Kind]*jsonschema.Schema{}
	for _, k := range schema.Kinds() {
		s, err := c.Compile(schemaBase + schema.JSONSchemaFile(k))
		if err != nil {
			t.Fatalf("compile %s: %v", k, err)
		}
		out[k] = s
	}
	return out
}

func validateJSON(t *testing.T, s *jsonschema.Schema, body []byte) error {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(doc)
}

// The JSON Schema files accept what the Go types write and reject what the
// Go validation rejects, so other systems can rely on them.
func TestJSONSchemaAgreesWithGoValidation(t *testing.T) {
	schemas := compileSchemas(t)
	pc := decimal.RequireFromString("40")
	good := []schema.Event{
		goodReport(),
		&schema.Project{
			Common:    schema.Common{Schema: schema.SchemaProject, DepartmentID: "qy-fgj", Revision: 1, ReportedBy: "x"},
			ProjectID: "qingyuan-pumped-storage", NameZh: "庆元抽水蓄能电站", Region: "丽水市庆元县",
			Category: schema.CategoryEnergy, Stage: schema.StageConstruction, TotalInvestmentWan: schema.MustWan("1000000"),
			AnnualPlans: []schema.AnnualPlan{{Year: 2025, AmountWan: schema.MustWan("120000")}},
			Milestones:  []schema.PlannedMilestone{{MilestoneID: "main-works", Title: "抽蓄主体工程", PlannedDate: "2025-06-30"}},
		},
		&schema.MilestoneUpdate{
			Common:    schema.Common{Schema: schema.SchemaMilestone, DepartmentID: "qy-fgj", Revision: 1, ReportedBy: "x"},
			ProjectID: "qingyuan-pumped-storage", MilestoneID: "main-works", Status: schema.MilestoneInProgress,
			AsOf: "2025-09-30", PercentComplete: &pc,
		},
	}
	for _, ev := range good {
		if err := ev.Validate(now); err != nil {
			t.Fatalf("%s: Go validation: %v", ev.Kind(), err)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateJSON(t, schemas[ev.Kind()], b); err != nil {
			t.Errorf("%s: JSON Schema rejects a valid event: %v\n%s", ev.Kind(), err, b)
		}
	}
	bad := map[string]string{
		"month 13":          `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","period":"2025-13","month_completed_wan":"1","ytd_completed_wan":"1"}`,
		"negative":          `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","period":"2025-09","month_completed_wan":"-1","ytd_completed_wan":"1"}`,
		"non-numeric":       `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","period":"2025-09","month_completed_wan":"12万","ytd_completed_wan":"1"}`,
		"missing ytd":       `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","period":"2025-09","month_completed_wan":"1"}`,
		"no reason":         `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":2,"reported_by":"x","project_id":"p","period":"2025-09","month_completed_wan":"1","ytd_completed_wan":"1"}`,
		"unknown field":     `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","period":"2025-09","month_completed_wan":"1","ytd_completed_wan":"1","extra":1}`,
		"five decimals":     `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","period":"2025-09","month_completed_wan":"1.00001","ytd_completed_wan":"2"}`,
		"10^14 万元":          `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","period":"2025-09","month_completed_wan":"100000000000000","ytd_completed_wan":"100000000000000"}`,
		"10^15 万元 (number)": `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","period":"2025-09","month_completed_wan":1000000000000000,"ytd_completed_wan":1000000000000000}`,
		"revision 2^32":     `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":4294967296,"reported_by":"x","project_id":"p","period":"2025-09","month_completed_wan":"1","ytd_completed_wan":"1"}`,
		"period 1999-12":    `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","period":"1999-12","month_completed_wan":"1","ytd_completed_wan":"1"}`,
		"41 characters":     `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","period":"2025-09","month_completed_wan":"1.000000000000000000000000000000000000000","ytd_completed_wan":"2"}`,
		"reported 1969":     `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","reported_at":"1969-12-31T00:00:00+08:00","project_id":"p","period":"2025-09","month_completed_wan":"1","ytd_completed_wan":"1"}`,
		"upper-case id":     `{"schema":"kpp.investment_report.v1","department_id":"QY","revision":1,"reported_by":"x","project_id":"p","period":"2025-09","month_completed_wan":"1","ytd_completed_wan":"1"}`,
	}
	for name, body := range bad {
		if err := validateJSON(t, schemas[schema.KindInvestment], []byte(body)); err == nil {
			t.Errorf("%s: JSON Schema accepts it", name)
		}
		ev, err := schema.Decode(schema.KindInvestment, []byte(body))
		if err == nil {
			err = ev.Validate(now)
		}
		if err == nil {
			t.Errorf("%s: Go validation accepts it", name)
		}
	}
}
