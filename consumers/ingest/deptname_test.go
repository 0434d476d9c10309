package ingest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keyproject/kpp/internal/testenv"
)

// Issue 9: a department must not list its projects under another
// department's name, whatever path it publishes by. With the departments'
// registered names (kpp serve reads the departments file), ingest refuses
// a registration naming another department, and stores one naming its own
// or none.
func TestRegistrationUnderAnotherDepartmentsNameIsRejected(t *testing.T) {
	e := newEnv(t)
	names := map[string]string{"fgj": "庆元县发展和改革局", "jtj": "庆元县交通运输局"}
	cfg := fastConfig(t)
	cfg.DepartmentName = func(id string) (string, bool) { n, ok := names[id]; return n, ok }
	run := e.start(cfg)
	defer run.stop()

	own := project("fgj", "own-name")
	own.DepartmentName = "庆元县发展和改革局"
	none := project("fgj", "no-name")
	none.DepartmentName = ""
	other := project("jtj", "borrowed-name")
	other.DepartmentName = "庆元县发展和改革局"
	unknown := project("slj", "unknown-department")
	unknown.DepartmentName = "庆元县水利局"
	e.publish(own)
	e.publish(none)
	seq := e.publish(other).Sequence
	e.publish(unknown)
	testenv.Eventually(t, 30*time.Second, func() bool {
		return e.count("SELECT count() FROM project_registrations FINAL")+e.count("SELECT count() FROM rejected_updates FINAL") == 4
	}, "ingest did not handle the 4 registrations")
	for _, id := range []string{"own-name", "no-name", "unknown-department"} {
		if n := e.count("SELECT count() FROM projects WHERE project_id = ?", id); n != 1 {
			t.Errorf("%s: stored %d times, want once", id, n)
		}
	}
	if n := e.count("SELECT count() FROM projects WHERE project_id = 'borrowed-name'"); n != 0 {
		t.Errorf("a registration under another department's name was stored")
	}
	var rule, reason string
	if err := e.st.Conn().QueryRow(context.Background(), "SELECT rule, reason_zh FROM rejected_updates FINAL WHERE stream_seq = ?", seq).Scan(&rule, &reason); err != nil {
		t.Fatal(err)
	}
	if rule != "consistency" || !strings.Contains(reason, "庆元县交通运输局") {
		t.Errorf("rejection: rule %q, reason %q; want consistency naming the department's registered name", rule, reason)
	}
}
