package demo

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"
)

// seedJSON is a copy of shared/data/seed-projects.json: the key projects
// named in the source documents. Amounts there are in 亿元.
//
//go:embed seed-projects.json
var seedJSON []byte

// seedFile is the name used in error messages.
const seedFile = "producers/demo/seed-projects.json"

// seedProject is one record of seed-projects.json; null means the source
// does not state the value.
type seedProject struct {
	ID                     string           `json:"id"`
	NameZh                 string           `json:"name_zh"`
	NameEn                 string           `json:"name_en"`
	Region                 string           `json:"region"`
	Category               string           `json:"category"`
	Department             *string          `json:"department"`
	TotalInvestmentYi      *decimal.Decimal `json:"total_investment_yi"`
	AnnualPlanInvestmentYi *decimal.Decimal `json:"annual_plan_investment_yi"`
	CompletedInvestmentYi  *decimal.Decimal `json:"completed_investment_yi"`
	Stage                  string           `json:"stage"`
	Milestones             []seedMilestone  `json:"milestones"`
	EvidenceYear           int              `json:"evidence_year"`
	SourceFile             string           `json:"source_file"`
	EvidenceZh             string           `json:"evidence_zh"`
}

// seedMilestone is a milestone as the source states it: its year and its
// status in the year of the evidence.
type seedMilestone struct {
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	Year   int    `json:"year"`
	Status string `json:"status"`
}

// wanPerYi converts 亿元 to 万元.
var wanPerYi = decimal.NewFromInt(10000)

// loadSeeds parses the embedded seed file, in file order.
func loadSeeds() ([]seedProject, error) {
	dec := json.NewDecoder(bytes.NewReader(seedJSON))
	dec.DisallowUnknownFields()
	var out []seedProject
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("%w: %s: %w (expected a JSON array of projects as in shared/data/README.md)", ErrSeed, seedFile, err)
	}
	seen := map[string]bool{}
	for i, s := range out {
		if s.ID == "" || s.NameZh == "" || s.Region == "" {
			return nil, fmt.Errorf("%w: %s: project #%d (id %q) lacks id, name_zh or region", ErrSeed, seedFile, i+1, s.ID)
		}
		if seen[s.ID] {
			return nil, fmt.Errorf("%w: %s: project id %q appears twice; expected unique ids", ErrSeed, seedFile, s.ID)
		}
		seen[s.ID] = true
	}
	return out, nil
}

// seedIndex finds seed records by project id.
func seedIndex(seeds []seedProject) map[string]*seedProject {
	idx := make(map[string]*seedProject, len(seeds))
	for i := range seeds {
		idx[seeds[i].ID] = &seeds[i]
	}
	return idx
}
