package submit_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/keyproject/kpp/producers/submit"
)

const userDoc = "../../docs/submit.md"

var (
	fenceRE       = regexp.MustCompile("(?s)```(jsonl|csv)\n(.*?)```")
	problemLineRE = regexp.MustCompile(`^investment-mixed\.csv:\d+: `)
)

// TestUserDocExamples checks docs/submit.md: every jsonl and csv example
// passes every check (a dry run against registered owners), and every
// problem line quoted for investment-mixed.csv is what submit prints.
func TestUserDocExamples(t *testing.T) {
	ctx := context.Background()
	doc := mustRead(t, userDoc)
	blocks := fenceRE.FindAllStringSubmatch(doc, -1)
	if len(blocks) < 4 {
		t.Fatalf("found %d jsonl/csv examples in %s; want at least 4", len(blocks), userDoc)
	}
	js := newJS(t)
	registerOwners(t, js, map[string]string{"yilongqing-expressway-qingyuan": "qy-jtj"})
	var paths []string
	for i, b := range blocks {
		paths = append(paths, writeFile(t, "example"+strconv.Itoa(i+1)+"."+b[1], b[2]))
	}
	rc, err := newPublisher(t, js, submit.Config{DryRun: true}).Submit(ctx, paths...)
	if err != nil {
		t.Fatalf("the examples of %s do not pass: %v", userDoc, err)
	}
	if tot := rc.Totals(); tot.Valid == 0 || tot.Invalid != 0 {
		t.Fatalf("examples: %+v", tot)
	}

	registerOwners(t, js, bothProjects)
	_, err = newPublisher(t, js, submit.Config{DryRun: true}).Submit(ctx, fixture("investment-mixed.csv"))
	actual := map[string]bool{}
	for _, p := range invalidError(t, err).Problems {
		p.File = filepath.Base(p.File)
		actual[p.String()] = true
	}
	quoted := 0
	for _, line := range strings.Split(doc, "\n") {
		if problemLineRE.MatchString(line) {
			quoted++
			if !actual[line] {
				t.Errorf("%s quotes a problem submit does not print:\n%s\nactual: %v", userDoc, line, actual)
			}
		}
	}
	if quoted == 0 {
		t.Errorf("%s quotes no problem of investment-mixed.csv", userDoc)
	}
}
