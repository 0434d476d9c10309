package chstore_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/report"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/internal/testenv"
	"github.com/keyproject/kpp/schema"
)

// TestLabelsAreTheBoardsLabels checks the labels view against the code: every
// code of every code set the pipeline writes has the Chinese label the
// board and the reports print, and every value of every Enum column of the
// review tables has a label.
func TestLabelsAreTheBoardsLabels(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := chstore.Open(ctx, testenv.ClickHouseDSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Conn().Query(ctx, "SELECT code_set, code, label_zh, label_en FROM labels ORDER BY code_set, sort")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]string{}
	for rows.Next() {
		var set, code, zh, en string
		if err := rows.Scan(&set, &code, &zh, &en); err != nil {
			t.Fatal(err)
		}
		if got[set] == nil {
			got[set] = map[string]string{}
		}
		if _, dup := got[set][code]; dup {
			t.Errorf("labels: %s %q twice", set, code)
		}
		if zh == "" || en == "" {
			t.Errorf("labels: %s %q has an empty label (zh %q, en %q)", set, code, zh, en)
		}
		got[set][code] = zh
	}
	rows.Close()

	want := map[string]map[string]string{}
	add := func(set, code, zh string) {
		if want[set] == nil {
			want[set] = map[string]string{}
		}
		want[set][code] = zh
	}
	for _, c := range schema.Categories() {
		add("category", string(c), c.Label())
	}
	for _, s := range schema.Stages() {
		add("stage", string(s), s.Label())
	}
	for _, s := range schema.MilestoneStatuses() {
		add("milestone_status", string(s), s.Label())
	}
	for _, s := range rating.Statuses() {
		add("status", string(s), s.Label())
	}
	add("status", "none", "无")
	for _, c := range []rollup.Change{rollup.ChangeFirst, rollup.ChangeSame, rollup.ChangeBetter, rollup.ChangeWorse, rollup.ChangeNewlyRed, rollup.ChangeRecovered} {
		add("change", string(c), report.ChangeLabel(c))
	}
	for _, a := range []rollup.Alert{rollup.AlertDue, rollup.AlertOverdue, rollup.AlertSlipped} {
		add("alert", string(a), report.AlertLabel(a))
	}
	for _, s := range []rollup.ReportingStatus{rollup.ReportingOnTime, rollup.ReportingLate, rollup.ReportingMissing} {
		add("reporting", string(s), report.ReportingLabel(s))
	}
	for _, k := range schema.ReviewKinds() {
		add("kind", string(k), k.Label())
	}
	for _, d := range rollup.Dimensions() {
		add("dimension", string(d), d.Label())
	}
	for set, codes := range want {
		for code, zh := range codes {
			if got[set][code] != zh {
				t.Errorf("labels: %s %q is %q, the board prints %q", set, code, got[set][code], zh)
			}
		}
		if len(got[set]) != len(codes) {
			t.Errorf("labels: code set %s has %d codes, the code %d: %v", set, len(got[set]), len(codes), got[set])
		}
	}

	// Every Enum value of the review tables has its label.
	enumSets := map[string]string{"kind": "kind", "status": "status", "prev_status": "status", "change": "change",
		"alert": "alert", "dimension": "dimension", "trigger": "trigger"}
	value := regexp.MustCompile(`'([a-z_]+)' = -?\d+`)
	rows, err = st.Conn().Query(ctx, `SELECT table, name, type FROM system.columns
WHERE database = currentDatabase() AND type LIKE 'Enum8(%' AND table IN ('dispatch_projects', 'dispatch_totals', 'dispatch_milestones', 'dispatch_reporting', 'rollup_runs')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var table, name, typ string
		if err := rows.Scan(&table, &name, &typ); err != nil {
			t.Fatal(err)
		}
		set := enumSets[name]
		switch {
		case table == "dispatch_reporting" && name == "status":
			set = "reporting"
		case table == "rollup_runs" && name == "status":
			set = "run_status"
		}
		for _, m := range value.FindAllStringSubmatch(typ, -1) {
			n++
			if _, ok := got[set][m[1]]; !ok {
				t.Errorf("%s.%s can be %q: labels has no %s %q", table, name, m[1], set, m[1])
			}
		}
	}
	if n < 20 {
		t.Errorf("found %d Enum values in the review tables, expected more", n)
	}
}
