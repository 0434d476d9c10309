package schema

import (
	"reflect"
	"testing"
)

// Decode's fast path gives the event encoding/json gives, for every
// payload it accepts; what it refuses is decoded by encoding/json alone.
func TestDecodeFastPathAgreesWithEncodingJSON(t *testing.T) {
	cases := []struct {
		kind Kind
		body string
	}{
		{KindInvestment, `{"schema":"kpp.investment_report.v1","department_id":"fgj","revision":1,"reported_by":"张三","project_id":"qingyuan-pumped-storage","period":"2025-03","month_completed_wan":"1000.5","ytd_completed_wan":3000.25,"since_start_completed_wan":null,"physical_progress":"主体工程施工中\n\"引号\"\u4e2d","problems":"无"}`},
		{KindInvestment, `{"schema":"kpp.investment_report.v1","department_id":"fgj","revision":2,"reported_by":"x","reported_at":"2025-04-03T09:30:00.123+08:00","source":"api","project_id":"p","period":"2025-03","month_completed_wan":"1,000.5","ytd_completed_wan":"","correction_reason":"更正"}`},
		{KindInvestment, `{"SCHEMA":"kpp.investment_report.v1","Project_ID":"p"}`}, // names in another case: encoding/json matches them
		{KindInvestment, `{"project_id":"a","project_id":"b"}`},                    // a repeated name: the last one
		{KindInvestment, `{"project_id":"p","unknown":1}`},                         // an unknown field: refused
		{KindInvestment, `{"project_id":"p"} {"project_id":"q"}`},                  // two values: refused
		{KindInvestment, `{"revision":"1"}`},                                       // a type error: refused
		{KindInvestment, `{"reported_at":"yesterday"}`},                            // not a time: refused
		{KindInvestment, "{\"problems\":\"\xff\"}"},                                // invalid UTF-8: replaced
		{KindProject, `{"schema":"kpp.project.v1","department_id":"fgj","revision":1,"reported_by":"x","project_id":"p","name_zh":"抽水蓄能","region":"丽水市庆元县","category":"energy","stage":"construction","total_investment_wan":"1300000","annual_plans":[{"year":2025,"amount_wan":"12000","monthly_wan":["1000",null,"1000"]}],"milestones":[{"milestone_id":"m1","title":"通风兼安全洞贯通","planned_date":"2025-06-30"}],"synthetic_fields":["total_investment_wan"]}`},
		{KindMilestone, `{"schema":"kpp.milestone_update.v1","department_id":"fgj","revision":3,"reported_by":"x","project_id":"p","milestone_id":"m1","status":"met","planned_date":"2025-06-30","actual_date":"2025-07-02","as_of":"2025-07-03","percent_complete":100,"note":"贯通"}`},
		{KindMilestone, `{"schema":"kpp.milestone_update.v1","percent_complete":"12.5","forecast_date":null}`},
		{KindMilestone, `[]`},
		{KindMilestone, `null`},
	}
	for i, c := range cases {
		fast, fastErr := Decode(c.kind, []byte(c.body))
		slow, slowErr := decodeV1(c.kind, []byte(c.body))
		if (fastErr == nil) != (slowErr == nil) || (fastErr != nil && fastErr.Error() != slowErr.Error()) {
			t.Errorf("case %d: Decode error %v, encoding/json error %v", i, fastErr, slowErr)
			continue
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("case %d: Decode gave\n%#v\nencoding/json gave\n%#v", i, fast, slow)
		}
	}
}
