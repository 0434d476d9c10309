package rollup_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/consumers/rollup/rolluptest"
	"github.com/keyproject/kpp/schema"
)

// insertAt stores events (a JSON array) as received at one instant.
func insertAt(t *testing.T, st *chstore.Store, seq uint64, at time.Time, events string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.json")
	if err := os.WriteFile(path, []byte(events), 0o644); err != nil {
		t.Fatal(err)
	}
	evs, err := rolluptest.ReadEvents(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := rolluptest.Insert(context.Background(), st, evs, seq, at); err != nil {
		t.Fatal(err)
	}
}

// A review carries who answers for each project — 责任单位, 责任人, 分管领导
// from the register as of the cut-off — and what the report the figures
// come from said: 存在问题 and 下步计划.
func TestBoardCarriesDutiesAndWhatTheReportSaid(t *testing.T) {
	st := rolluptest.Store(t)
	sh := schema.Location()
	const registration = `{"schema":"kpp.project.v1","department_id":"fgw","revision":%d,"reported_by":"t","project_id":"%s",
	  "name_zh":"%s","region":"丽水市莲都区","category":"transport","stage":"construction","department_name":"丽水市发展和改革委员会",
	  "responsible_unit":"%s","responsible_person":"%s","lead_official":"%s","annual_plans":[{"year":2025,"amount_wan":"10000"}]}`
	reg := func(rev int, id, name, unit, person, lead string) string {
		return fmt.Sprintf(registration, rev, id, name, unit, person, lead)
	}
	const report = `{"schema":"kpp.investment_report.v1","department_id":"fgw","revision":%d,"reported_by":"t","project_id":"%s",
	  "period":"%s","month_completed_wan":"%s","ytd_completed_wan":"%s","problems":"%s","next_steps":"%s"%s}`
	rep := func(rev int, id, month, m, ytd, problems, next string) string {
		correction := ""
		if rev > 1 {
			correction = `,"correction_reason":"更正"`
		}
		return fmt.Sprintf(report, rev, id, month, m, ytd, problems, next, correction)
	}
	insertAt(t, st, 1, time.Date(2025, 1, 6, 9, 0, 0, 0, sh), "["+
		reg(1, "road", "环城南路", "莲都区交通建设公司", "张建国", "李副区长")+","+
		reg(1, "levee", "瓯江堤防", "莲都区水利局", "陈海", "周副区长")+"]")
	insertAt(t, st, 10, time.Date(2025, 9, 3, 9, 0, 0, 0, sh), "["+
		rep(1, "road", "2025-08", "500", "6000", "征地未完成", "9月底前完成征地")+","+
		rep(1, "levee", "2025-08", "400", "5000", "汛期停工", "汛后复工")+"]")
	insertAt(t, st, 20, time.Date(2025, 10, 3, 9, 0, 0, 0, sh), "["+
		rep(1, "road", "2025-09", "700", "6700", "资金未到位", "争取专项债")+"]")
	// After 2025-W40's cut-off (6 October 00:00): a correction of the
	// September report and a new lead official.
	insertAt(t, st, 30, time.Date(2025, 10, 15, 9, 0, 0, 0, sh), "["+
		rep(2, "road", "2025-09", "800", "6800", "资金已到位", "加快路面施工")+","+
		reg(2, "road", "环城南路", "莲都区交通建设公司", "张建国", "王副区长")+"]")

	w40 := period("weekly", "2025-W40")
	run(t, st, w40, rating.Rules{})
	run(t, st, sepMonthly, rating.Rules{})

	type duties struct{ unit, person, lead, problems, next string }
	of := func(r rollup.ProjectRow) duties {
		return duties{r.ResponsibleUnit, r.ResponsiblePerson, r.LeadOfficial, r.Problems, r.NextSteps}
	}
	for _, c := range []struct {
		p    schema.ReviewPeriod
		id   string
		want duties
	}{
		// The weekly review reads as of its cut-off: the first September
		// report and the first registration.
		{w40, "road", duties{"莲都区交通建设公司", "张建国", "李副区长", "资金未到位", "争取专项债"}},
		// The monthly review reads everything received by its run.
		{sepMonthly, "road", duties{"莲都区交通建设公司", "张建国", "王副区长", "资金已到位", "加快路面施工"}},
		// September not reported: the August report the YTD comes from.
		{sepMonthly, "levee", duties{"莲都区水利局", "陈海", "周副区长", "汛期停工", "汛后复工"}},
	} {
		b := load(t, st, c.p)
		if got := of(row(t, b, c.id)); got != c.want {
			t.Errorf("%s %s %s: %+v, want %+v", c.p.Kind, c.p.Key(), c.id, got, c.want)
		}
		// EachProject reads the same columns.
		err := rollup.EachProject(context.Background(), st, c.p, rollup.ProjectSelection{}, func(r rollup.ProjectRow) error {
			if r.ProjectID == c.id && of(r) != c.want {
				t.Errorf("EachProject %s %s %s: %+v, want %+v", c.p.Kind, c.p.Key(), c.id, of(r), c.want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
