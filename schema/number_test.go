package schema_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// fieldError validates ev and returns the error on field, or nil when the
// event is valid; it fails the test when the event has errors on other
// fields only.
func fieldError(t *testing.T, ev schema.Event, field string) *schema.FieldError {
	t.Helper()
	err := ev.Validate(now)
	if err == nil {
		return nil
	}
	var ve *schema.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a *ValidationError, got %v", err)
	}
	for i, fe := range ve.Errors {
		if fe.Field == field {
			if fe.MessageZh == "" || fe.MessageEn == "" || !strings.Contains(fe.MessageEn, "expected") {
				t.Errorf("%s: the message must say what is expected, in both languages: %+v", field, fe)
			}
			return &ve.Errors[i]
		}
	}
	t.Fatalf("no error on %s, but: %v", field, err)
	return nil
}

// bound checks a value at the edge (accepted) and one past it (refused
// with rule, its message containing want).
func bound(t *testing.T, name, field string, build func(v string) schema.Event, edge, past string, rule schema.Rule, want string) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		t.Helper()
		if fe := fieldError(t, build(edge), field); fe != nil {
			t.Errorf("%s = %s is at the edge and must be accepted: %s", field, edge, fe)
		}
		fe := fieldError(t, build(past), field)
		if fe == nil {
			t.Fatalf("%s = %s is past the edge and must be refused", field, past)
		}
		if fe.Rule != rule || !strings.Contains(fe.MessageEn, want) {
			t.Errorf("%s = %s: got %s (%s); want rule %s and a message with %q", field, past, fe, fe.Rule, rule, want)
		}
	})
}

func reportWith(f func(r *schema.InvestmentReport)) schema.Event {
	r := goodReport()
	r.SinceStartCompletedWan = schema.Wan{}
	f(r)
	return r
}

func milestoneWith(f func(m *schema.MilestoneUpdate)) schema.Event {
	pc := decimal.RequireFromString("40")
	m := &schema.MilestoneUpdate{
		Common:    schema.Common{Schema: schema.SchemaMilestone, DepartmentID: "qy-fgj", Revision: 1, ReportedBy: "x"},
		ProjectID: "qingyuan-pumped-storage", MilestoneID: "main-works", Status: schema.MilestoneInProgress,
		AsOf: "2025-09-30", PercentComplete: &pc,
	}
	f(m)
	return m
}

func projectWith(f func(p *schema.Project)) schema.Event {
	p := &schema.Project{
		Common:    schema.Common{Schema: schema.SchemaProject, DepartmentID: "qy-fgj", Revision: 1, ReportedBy: "x"},
		ProjectID: "qingyuan-pumped-storage", NameZh: "庆元抽水蓄能电站", Region: "丽水市庆元县",
		Category: schema.CategoryEnergy, Stage: schema.StageConstruction,
	}
	f(p)
	return p
}

// Every number Validate accepts fits the ClickHouse column it is stored
// in; one past each bound is refused with a message saying what is
// expected.
func TestNumberBounds(t *testing.T) {
	const maxWan, pastWan = "99999999999999.9999", "100000000000000"
	amount := func(set func(r *schema.InvestmentReport, w schema.Wan)) func(string) schema.Event {
		return func(v string) schema.Event {
			return reportWith(func(r *schema.InvestmentReport) { set(r, schema.ParseWan(v)) })
		}
	}
	bound(t, "month_completed_wan below 10^14", "month_completed_wan", amount(func(r *schema.InvestmentReport, w schema.Wan) {
		r.MonthCompletedWan = w
		r.YTDCompletedWan = w
	}), maxWan, pastWan, schema.RuleRange, "below 100000000000000 万元")
	bound(t, "ytd_completed_wan below 10^14", "ytd_completed_wan", amount(func(r *schema.InvestmentReport, w schema.Wan) { r.YTDCompletedWan = w }),
		maxWan, pastWan, schema.RuleRange, "Decimal(18,4)")
	bound(t, "since_start_completed_wan below 10^14", "since_start_completed_wan", amount(func(r *schema.InvestmentReport, w schema.Wan) { r.SinceStartCompletedWan = w }),
		maxWan, "1e15", schema.RuleDecimal, "is not a number")
	bound(t, "the attack: 1000000000000000 万元", "since_start_completed_wan", amount(func(r *schema.InvestmentReport, w schema.Wan) { r.SinceStartCompletedWan = w }),
		maxWan, "1000000000000000", schema.RuleRange, "too large")
	bound(t, "amounts exact to four places", "month_completed_wan", amount(func(r *schema.InvestmentReport, w schema.Wan) { r.MonthCompletedWan = w }),
		"1.0001", "1.00001", schema.RuleScale, "more than 4 decimal places")

	project := func(set func(p *schema.Project, w schema.Wan)) func(string) schema.Event {
		return func(v string) schema.Event {
			return projectWith(func(p *schema.Project) { set(p, schema.ParseWan(v)) })
		}
	}
	bound(t, "total_investment_wan below 10^14", "total_investment_wan", project(func(p *schema.Project, w schema.Wan) { p.TotalInvestmentWan = w }),
		maxWan, pastWan, schema.RuleRange, "too large")
	bound(t, "annual plan below 10^14", "annual_plans[0].amount_wan", project(func(p *schema.Project, w schema.Wan) {
		p.AnnualPlans = []schema.AnnualPlan{{Year: 2025, AmountWan: w}}
	}), maxWan, pastWan, schema.RuleRange, "too large")
	bound(t, "monthly plan below 10^14", "annual_plans[0].monthly_wan[11]", project(func(p *schema.Project, w schema.Wan) {
		months := make([]schema.Wan, 12)
		for i := range months {
			months[i] = schema.MustWan("1")
		}
		months[11] = w
		p.AnnualPlans = []schema.AnnualPlan{{Year: 2025, AmountWan: schema.MustWan("1"), MonthlyWan: months}}
	}), maxWan, pastWan, schema.RuleRange, "too large")

	// The text of a number is bounded before it is parsed.
	long := strings.Repeat("9", schema.MaxNumberText)
	bound(t, "number text of at most 40 characters", "month_completed_wan", amount(func(r *schema.InvestmentReport, w schema.Wan) { r.MonthCompletedWan = w }),
		"1."+strings.Repeat("0", schema.MaxNumberText-2), "1."+strings.Repeat("0", schema.MaxNumberText-1), schema.RuleRange, "at most 40 characters")
	if fe := fieldError(t, reportWith(func(r *schema.InvestmentReport) { r.MonthCompletedWan = schema.ParseWan(long) }), "month_completed_wan"); fe == nil || fe.Rule != schema.RuleRange {
		t.Errorf("40 nines: want a range error (too large), got %v", fe)
	}

	percent := func(v string) schema.Event {
		return milestoneWith(func(m *schema.MilestoneUpdate) {
			d := decimal.RequireFromString(v)
			m.PercentComplete = &d
		})
	}
	bound(t, "percent_complete at most 100", "percent_complete", percent, "100", "100.0001", schema.RuleRange, "outside 0-100")
	bound(t, "percent_complete at least 0", "percent_complete", percent, "0", "-0.0001", schema.RuleRange, "outside 0-100")
	bound(t, "percent_complete exact to four places", "percent_complete", percent, "99.9999", "99.99999", schema.RuleScale, "more than 4 decimal places")
	bound(t, "percent_complete with an absurd exponent", "percent_complete", percent, "1e1", "1e-9999", schema.RuleRange, "0-100")

	revision := func(v string) schema.Event {
		return reportWith(func(r *schema.InvestmentReport) {
			r.Revision = map[string]int{"max": schema.MaxRevision, "past": schema.MaxRevision + 1, "1": 1, "0": 0}[v]
			r.CorrectionReason = "更正"
		})
	}
	bound(t, "revision at most 2^32-1", "revision", revision, "max", "past", schema.RuleRange, "at most 4294967295")
	bound(t, "revision at least 1", "revision", revision, "1", "0", schema.RuleRange, "≥ 1")

	year := func(v string) schema.Event {
		return projectWith(func(p *schema.Project) {
			y := map[string]int{"2100": 2100, "2101": 2101, "2000": 2000, "1999": 1999}[v]
			p.AnnualPlans = []schema.AnnualPlan{{Year: y, AmountWan: schema.MustWan("1")}}
		})
	}
	bound(t, "plan year at most 2100", "annual_plans[0].year", year, "2100", "2101", schema.RuleRange, "2000-2100")
	bound(t, "plan year at least 2000", "annual_plans[0].year", year, "2000", "1999", schema.RuleRange, "2000-2100")

	period := func(v string) schema.Event { return reportWith(func(r *schema.InvestmentReport) { r.Period = v }) }
	bound(t, "period from 2000-01", "period", period, "2000-01", "1999-12", schema.RuleRange, "expected 2000-01 to 2100-12")
	bound(t, "period to 2100-12", "period", func(v string) schema.Event {
		return reportWith(func(r *schema.InvestmentReport) { r.Period = v })
	}, "2025-10", "2101-01", schema.RuleRange, "expected 2000-01 to 2100-12")

	for _, field := range []string{"planned_date", "forecast_date", "actual_date", "as_of"} {
		date := func(v string) schema.Event {
			return milestoneWith(func(m *schema.MilestoneUpdate) {
				switch field {
				case "planned_date":
					m.PlannedDate = v
				case "forecast_date":
					m.ForecastDate = v
				case "actual_date":
					m.ActualDate, m.AsOf = v, v
				case "as_of":
					m.AsOf = v
				}
			})
		}
		bound(t, field+" from 2000-01-01", field, date, "2000-01-01", "1999-12-31", schema.RuleRange, "from 2000-01-01 to 2100-12-31")
		if field != "as_of" && field != "actual_date" { // those may not be in the future
			bound(t, field+" to 2100-12-31", field, date, "2100-12-31", "2101-01-01", schema.RuleRange, "from 2000-01-01 to 2100-12-31")
		}
	}
	bound(t, "milestone planned_date to 2100-12-31", "milestones[0].planned_date", func(v string) schema.Event {
		return projectWith(func(p *schema.Project) {
			p.Milestones = []schema.PlannedMilestone{{MilestoneID: "m", Title: "t", PlannedDate: v}}
		})
	}, "2100-12-31", "2101-01-01", schema.RuleRange, "2100-12-31")

	reportedAt := func(v string) schema.Event {
		return reportWith(func(r *schema.InvestmentReport) {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				panic(err)
			}
			r.ReportedAt = &t
		})
	}
	bound(t, "reported_at from 2000", "reported_at", reportedAt, "2000-01-01T00:00:00+08:00", "1999-12-31T23:59:59+08:00", schema.RuleRange, "2000-01-01")
	bound(t, "reported_at to 2100", "reported_at", reportedAt, "2100-12-31T23:59:59+08:00", "2101-01-01T00:00:00+08:00", schema.RuleRange, "2100-12-31")
}

// A number's text is refused by its length before it is parsed: a
// megabyte of digits costs microseconds, and the error does not carry the
// megabyte back.
func TestHugeNumberTextIsRefusedCheaply(t *testing.T) {
	digits := strings.Repeat("9", 900_000)
	bodies := map[string]string{
		"amount as a number":  `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","period":"2025-09","month_completed_wan":` + digits + `,"ytd_completed_wan":"1"}`,
		"amount as a string":  `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","period":"2025-09","month_completed_wan":"` + digits + `","ytd_completed_wan":"1"}`,
		"percent as a number": `{"schema":"kpp.milestone_update.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","milestone_id":"m","status":"in_progress","as_of":"2025-09-30","percent_complete":` + digits + `}`,
		"percent as a string": `{"schema":"kpp.milestone_update.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","milestone_id":"m","status":"in_progress","as_of":"2025-09-30","percent_complete":"` + digits + `"}`,
		"percent, other case": `{"schema":"kpp.milestone_update.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","milestone_id":"m","status":"in_progress","as_of":"2025-09-30","Percent_Complete":"` + digits + `"}`,
		"revision":            `{"schema":"kpp.investment_report.v1","department_id":"qy-fgj","revision":` + digits + `,"reported_by":"x","project_id":"p","period":"2025-09","month_completed_wan":"1","ytd_completed_wan":"1"}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			ev, err := schema.DecodeAny([]byte(body))
			if err == nil {
				err = ev.Validate(now)
			}
			took := time.Since(start)
			var ve *schema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a *ValidationError, got %v", err)
			}
			if took > 200*time.Millisecond {
				t.Errorf("refusing it took %v; the text must be refused by its length before it is parsed", took)
			}
			if n := len(ve.Error()) + len(ve.ReasonZh()); n > 2000 {
				t.Errorf("the error is %d bytes long; it must not carry the number back: %.300s", n, ve.Error())
			}
			if !strings.Contains(ve.Error(), "900000 characters") && !strings.Contains(ve.Error(), "900007 characters") {
				t.Errorf("the error should say how long the text is: %.300s", ve.Error())
			}
		})
	}
}

// percent_complete is read by the one strict parser on both decode paths:
// an exponent or a separator is refused with the field's name.
func TestPercentTextIsStrict(t *testing.T) {
	for _, v := range []string{`1e2`, `"1e2"`, `"1e-9999"`, `"4,5"`, `" 45"`} {
		body := `{"schema":"kpp.milestone_update.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","milestone_id":"m","status":"in_progress","as_of":"2025-09-30","percent_complete":` + v + `}`
		_, err := schema.Decode(schema.KindMilestone, []byte(body))
		var ve *schema.ValidationError
		if !errors.As(err, &ve) || ve.Errors[0].Field != "percent_complete" || ve.Errors[0].Rule != schema.RuleDecimal {
			t.Errorf("percent_complete %s: want a decimal error on percent_complete, got %v", v, err)
		}
	}
	for _, v := range []string{`45.5`, `"45.5"`, `100`, `"0"`} {
		body := `{"schema":"kpp.milestone_update.v1","department_id":"qy-fgj","revision":1,"reported_by":"x","project_id":"p","milestone_id":"m","status":"in_progress","as_of":"2025-09-30","percent_complete":` + v + `}`
		if _, err := schema.Decode(schema.KindMilestone, []byte(body)); err != nil {
			t.Errorf("percent_complete %s: %v", v, err)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	for _, s := range []string{"1", "-3", "+3", "0.5", ".5", "1234.5678", strings.Repeat("1", schema.MaxNumberText)} {
		if _, err := schema.ParseDecimal(s); err != nil {
			t.Errorf("ParseDecimal(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "-", ".", "1e5", "1E5", "0x10", "1,000", " 1", "1 ", "1.2.3", "NaN", "Inf", strings.Repeat("1", schema.MaxNumberText+1)} {
		if _, err := schema.ParseDecimal(s); err == nil {
			t.Errorf("ParseDecimal(%q) accepted it", s)
		}
	}
	if _, err := schema.ParseDecimal(strings.Repeat("1", 1<<20)); !errors.Is(err, schema.ErrNumberTooLong) {
		t.Errorf("a megabyte of digits: %v, want ErrNumberTooLong", err)
	}
	if _, err := schema.ParseFloatText("1.5E+15"); err != nil {
		t.Errorf("ParseFloatText(1.5E+15): %v", err)
	}
	if _, err := schema.ParseFloatText("1E-999999999"); err == nil {
		t.Error("ParseFloatText(1E-999999999) accepted an absurd exponent")
	}
}
