package demo

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/keyproject/kpp/schema"
)

// The hand-written parts of the story name projects and milestones of the
// seed by id and name_zh; a revised seed must not silently drop them.
func TestStoryNamesProjectsOfTheSeed(t *testing.T) {
	seeds, err := loadSeeds()
	if err != nil {
		t.Fatal(err)
	}
	idx := seedIndex(seeds)
	for k, st := range stories {
		s := idx[k.project]
		if s == nil {
			t.Errorf("story of %s/%s: no such project in the seed", k.project, k.title)
			continue
		}
		found := false
		for _, m := range s.Milestones {
			if m.NameZh != k.title {
				continue
			}
			found = true
			when := fmt.Sprintf("%d-", m.Year)
			if m.Month > 0 {
				when = fmt.Sprintf("%d-%02d-", m.Year, m.Month)
			}
			if !strings.HasPrefix(st.planned, when) {
				t.Errorf("story of %s/%s: planned %s, the seed says %s", k.project, k.title, st.planned, strings.TrimSuffix(when, "-"))
			}
			if m.Status == seedMissed {
				t.Errorf("story of %s/%s: the seed says it was missed; a story would have it reached", k.project, k.title)
			}
		}
		if !found {
			t.Errorf("story of %s/%s: the project has no such milestone in the seed", k.project, k.title)
		}
	}

	cfg, _ := Config{}.resolve()
	for id, want := range map[string]string{MissingProject: "missing", CorrectedProject: "corrected"} {
		if idx[id] == nil {
			t.Errorf("the %s project %s is not in the seed", want, id)
		}
	}
	for id := range laggards {
		s := idx[id]
		if s == nil {
			t.Errorf("laggard %s is not in the seed", id)
			continue
		}
		p, err := buildProject(cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := p.PlanFor(cfg.Year); !ok {
			t.Errorf("laggard %s (stage %s) has no %d plan, so its pace shows on no board", id, p.Stage, cfg.Year)
		}
	}
	if s := idx[MissingProject]; s != nil {
		p, err := buildProject(cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := p.PlanFor(cfg.Year); !ok || p.Stage != schema.StageConstruction {
			t.Errorf("the missing project %s is %s with a %d plan: %v; want one under construction, rated on its earlier months", MissingProject, p.Stage, cfg.Year, ok)
		}
	}
}

// The loader accepts the documented fields and nothing else, so that a
// change of the seed's format is noticed; records that contradict
// themselves are refused with what was read.
func TestLoaderRejectsUnknownAndInconsistentRecords(t *testing.T) {
	saved := seedJSON
	defer func() { seedJSON = saved }()
	for name, c := range map[string]struct{ from, to, want string }{
		"unknown field":     {`"category_zh": "绿色清洁能源",`, `"category_zh": "绿色清洁能源", "budget_yi": 1,`, `unknown field "budget_yi"`},
		"unknown milestone": {`"status": "met",`, `"status": "met", "actual": "2024-05",`, `unknown field "actual"`},
		"status":            {`"status": "met",`, `"status": "done",`, `status "done"`},
		"stage pair":        {`"stage_en": "under_construction"`, `"stage_en": "preparation"`, `stage "在建" with stage_en "preparation"`},
		"category pair":     {`"category_zh": "绿色清洁能源"`, `"category_zh": "水利"`, `category "energy" with category_zh "水利"`},
		"department basis":  {`"department_basis": "implied"`, `"department_basis": "guessed"`, `department_basis "guessed"`},
	} {
		seedJSON = []byte(strings.Replace(string(saved), c.from, c.to, 1))
		if string(seedJSON) == string(saved) {
			t.Fatalf("%s: %q is not in the seed", name, c.from)
		}
		_, err := loadSeeds()
		if !errors.Is(err, ErrSeed) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), seedFile) {
			t.Errorf("%s: %v, want ErrSeed naming %s and %s", name, err, seedFile, c.want)
		}
	}
}
