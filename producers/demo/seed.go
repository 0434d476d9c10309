package demo

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"
)

// seedJSON is a copy of shared/data/seed-projects.json: the key projects
// named in the source documents. Amounts there are in 亿元. Its fields are
// documented in shared/data/README.md.
//
//go:embed seed-projects.json
var seedJSON []byte

// seedFile is the name used in error messages.
const seedFile = "producers/demo/seed-projects.json"

// seedProject is one record of seed-projects.json; null means the source
// does not state the value. Every documented field has a place here, and the
// decoder rejects any other, so that a change of the format is noticed.
type seedProject struct {
	ID          string `json:"id"`
	NameZh      string `json:"name_zh"`
	NameEn      string `json:"name_en"`
	Region      string `json:"region"`
	Category    string `json:"category"`
	CategoryZh  string `json:"category_zh"`
	Subcategory string `json:"subcategory"`
	// Department is the lead department as the seed names it: verbatim
	// when DepartmentBasis is "stated", a sector's short name (发改局,
	// 交通运输局, …) when "implied" (not in the source), null when no single
	// department is plain.
	Department      *string `json:"department"`
	DepartmentBasis *string `json:"department_basis"`
	// The figures of InvestmentYear; InvestmentHistory holds them too, with
	// every other stated year.
	TotalInvestmentYi      *decimal.Decimal `json:"total_investment_yi"`
	AnnualPlanInvestmentYi *decimal.Decimal `json:"annual_plan_investment_yi"`
	CompletedInvestmentYi  *decimal.Decimal `json:"completed_investment_yi"`
	InvestmentYear         *int             `json:"investment_year"`
	AnnualCompletionPct    *decimal.Decimal `json:"annual_completion_pct"`
	InvestmentHistory      []seedFigures    `json:"investment_history"`
	// Stage is 前期, 计划开工, 在建 or 建成; StageEn the same in English;
	// both null where the source does not say.
	Stage        *string         `json:"stage"`
	StageEn      *string         `json:"stage_en"`
	Milestones   []seedMilestone `json:"milestones"`
	SourceFile   string          `json:"source_file"`
	EvidenceYear int             `json:"evidence_year"`
	EvidenceZh   string          `json:"evidence_zh"`
	MoreEvidence []seedEvidence  `json:"more_evidence"`
	Notes        string          `json:"notes"`
}

// seedFigures are the investment figures a source states for one year.
type seedFigures struct {
	Year                   int              `json:"year"`
	TotalInvestmentYi      *decimal.Decimal `json:"total_investment_yi"`
	AnnualPlanInvestmentYi *decimal.Decimal `json:"annual_plan_investment_yi"`
	CompletedInvestmentYi  *decimal.Decimal `json:"completed_investment_yi"`
	AnnualCompletionPct    *decimal.Decimal `json:"annual_completion_pct"`
	SourceFile             string           `json:"source_file"`
	EvidenceZh             string           `json:"evidence_zh"`
}

// seedEvidence is a further quote about a project.
type seedEvidence struct {
	SourceFile string `json:"source_file"`
	Year       int    `json:"year"`
	EvidenceZh string `json:"evidence_zh"`
}

// seedMilestone is a milestone as the source states it: its year (and
// sometimes its month) and its status in the year of the evidence.
type seedMilestone struct {
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	Year   int    `json:"year"`
	// Month is the month the source gives, 1-12; 0 when it gives only the
	// year. shared/data/README.md does not list this field, but the file
	// carries it for a few milestones (开工建设 “2025年底前” → 12).
	Month      int    `json:"month"`
	Status     string `json:"status"`
	SourceFile string `json:"source_file"`
}

// Milestone statuses of the seed.
const (
	seedMet        = "met"
	seedInProgress = "in_progress"
	seedScheduled  = "scheduled"
	// seedMissed is a planned step a later document shows not done.
	seedMissed = "missed"
)

// Department bases of the seed.
const (
	basisStated  = "stated"  // named in the source
	basisImplied = "implied" // inferred from the sector: not in the source
)

// categoryZh is the category_zh the seed gives each category.
var categoryZh = map[string]string{
	"transport": "综合交通", "energy": "绿色清洁能源", "water": "水利", "industry": "产业",
	"public": "公共设施和社会事业", "urban": "城市有机更新", "environment": "生态环境",
}

// stageEn is the stage_en the seed gives each stage.
var stageEn = map[string]string{"前期": "preparation", "计划开工": "to_start", "在建": "under_construction", "建成": "completed"}

// wanPerYi converts 亿元 to 万元.
var wanPerYi = decimal.NewFromInt(10000)

// loadSeeds parses the embedded seed file, in file order, and checks that
// its records agree with themselves.
func loadSeeds() ([]seedProject, error) {
	dec := json.NewDecoder(bytes.NewReader(seedJSON))
	dec.DisallowUnknownFields()
	var out []seedProject
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("%w: %s: %w (expected a JSON array of projects with the fields of shared/data/README.md)", ErrSeed, seedFile, err)
	}
	seen := map[string]bool{}
	for i := range out {
		s := &out[i]
		if s.ID == "" || s.NameZh == "" || s.Region == "" {
			return nil, fmt.Errorf("%w: %s: project #%d (id %q) lacks id, name_zh or region", ErrSeed, seedFile, i+1, s.ID)
		}
		if seen[s.ID] {
			return nil, fmt.Errorf("%w: %s: project id %q appears twice; expected unique ids", ErrSeed, seedFile, s.ID)
		}
		seen[s.ID] = true
		if err := s.check(); err != nil {
			return nil, fmt.Errorf("%w: %s: project %s: %w", ErrSeed, seedFile, s.ID, err)
		}
	}
	return out, nil
}

// check reports a record whose fields contradict each other or carry a
// value the README does not list.
func (s *seedProject) check() error {
	if want, ok := categoryZh[s.Category]; !ok || s.CategoryZh != want {
		return fmt.Errorf("category %q with category_zh %q; expected one of the README's pairs (transport 综合交通, …)", s.Category, s.CategoryZh)
	}
	switch {
	case s.Stage == nil && s.StageEn == nil:
	case s.Stage == nil || s.StageEn == nil || stageEn[*s.Stage] != *s.StageEn:
		return fmt.Errorf("stage %s with stage_en %s; expected both null or a matching pair (前期 preparation, 计划开工 to_start, 在建 under_construction, 建成 completed)", str(s.Stage), str(s.StageEn))
	}
	switch {
	case s.Department == nil && s.DepartmentBasis == nil:
	case s.Department == nil || *s.Department == "" || s.DepartmentBasis == nil ||
		(*s.DepartmentBasis != basisStated && *s.DepartmentBasis != basisImplied):
		return fmt.Errorf("department %s with department_basis %s; expected both null, or a name with %q or %q", str(s.Department), str(s.DepartmentBasis), basisStated, basisImplied)
	}
	for j, m := range s.Milestones {
		switch m.Status {
		case seedMet, seedInProgress, seedScheduled, seedMissed:
		default:
			return fmt.Errorf("milestone #%d %s: status %q; expected met, in_progress, scheduled or missed", j+1, m.NameZh, m.Status)
		}
		if m.NameZh == "" || m.Year < 2000 || m.Year > 2100 || m.Month < 0 || m.Month > 12 {
			return fmt.Errorf("milestone #%d %q: year %d, month %d; expected a name, a year 2000-2100 and a month 1-12 or none", j+1, m.NameZh, m.Year, m.Month)
		}
	}
	years := map[int]bool{}
	for j, h := range s.InvestmentHistory {
		if h.Year < 2000 || h.Year > 2100 || years[h.Year] {
			return fmt.Errorf("investment_history #%d: year %d is out of range or comes twice; expected one entry per year 2000-2100", j+1, h.Year)
		}
		years[h.Year] = true
		for _, v := range []*decimal.Decimal{h.TotalInvestmentYi, h.AnnualPlanInvestmentYi, h.CompletedInvestmentYi, h.AnnualCompletionPct} {
			if v != nil && !v.IsPositive() {
				return fmt.Errorf("investment_history #%d (%d): figure %s; expected positive figures or null", j+1, h.Year, v)
			}
		}
	}
	// The top-level figures are those of investment_year; the history must
	// hold them, since the demo reads the figures from the history.
	if s.AnnualPlanInvestmentYi != nil || s.CompletedInvestmentYi != nil || s.AnnualCompletionPct != nil {
		h := s.figuresOf(s.InvestmentYear)
		if h == nil || !sameFigure(h.AnnualPlanInvestmentYi, s.AnnualPlanInvestmentYi) ||
			!sameFigure(h.CompletedInvestmentYi, s.CompletedInvestmentYi) || !sameFigure(h.AnnualCompletionPct, s.AnnualCompletionPct) {
			return fmt.Errorf("the figures of investment_year %s (plan %s, completed %s, completion %s%%) are not in investment_history; expected an entry of that year with the same figures",
				intStr(s.InvestmentYear), decStr(s.AnnualPlanInvestmentYi), decStr(s.CompletedInvestmentYi), decStr(s.AnnualCompletionPct))
		}
	}
	if v := s.TotalInvestmentYi; v != nil {
		found := false
		for _, h := range s.InvestmentHistory {
			found = found || sameFigure(h.TotalInvestmentYi, v)
		}
		if !found {
			return fmt.Errorf("total_investment_yi %s is in no investment_history entry; expected the history to hold every stated figure", v)
		}
	}
	return nil
}

// figuresOf returns the history entry of year, or nil.
func (s *seedProject) figuresOf(year *int) *seedFigures {
	if year == nil {
		return nil
	}
	for i := range s.InvestmentHistory {
		if s.InvestmentHistory[i].Year == *year {
			return &s.InvestmentHistory[i]
		}
	}
	return nil
}

// statedTotal is the total investment the sources state (the latest year's
// where several do), or nil.
func (s *seedProject) statedTotal() *decimal.Decimal {
	var out *decimal.Decimal
	latest := 0
	for _, h := range s.InvestmentHistory {
		if h.TotalInvestmentYi != nil && h.Year >= latest {
			out, latest = h.TotalInvestmentYi, h.Year
		}
	}
	return out
}

func sameFigure(a, b *decimal.Decimal) bool {
	if b == nil {
		return true // the top level may leave out what the history states
	}
	return a != nil && a.Equal(*b)
}

func str(p *string) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprintf("%q", *p)
}

func intStr(p *int) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

func decStr(p *decimal.Decimal) string {
	if p == nil {
		return "null"
	}
	return p.String()
}

// seedIndex finds seed records by project id.
func seedIndex(seeds []seedProject) map[string]*seedProject {
	idx := make(map[string]*seedProject, len(seeds))
	for i := range seeds {
		idx[seeds[i].ID] = &seeds[i]
	}
	return idx
}
