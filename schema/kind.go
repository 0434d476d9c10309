package schema

import "fmt"

// Kind names the type of an event. It is the third token of the event's
// subject and the first input of its [EventID].
type Kind string

// The event kinds of version 1.
const (
	KindProject    Kind = "project"
	KindInvestment Kind = "investment"
	KindMilestone  Kind = "milestone"
)

// Schema identifiers carried in every event's "schema" field.
const (
	SchemaProject    = "kpp.project.v1"
	SchemaInvestment = "kpp.investment_report.v1"
	SchemaMilestone  = "kpp.milestone_update.v1"
)

// Kinds lists every kind in the order a portfolio is loaded: projects first,
// so that reports can refer to them.
var kinds = [...]Kind{KindProject, KindInvestment, KindMilestone}

// Kinds returns every event kind, projects first.
func Kinds() []Kind { return kinds[:] }

// SchemaID returns the schema identifier of the kind, e.g. "kpp.project.v1".
func (k Kind) SchemaID() string {
	switch k {
	case KindProject:
		return SchemaProject
	case KindInvestment:
		return SchemaInvestment
	case KindMilestone:
		return SchemaMilestone
	}
	return ""
}

// ParseKind accepts a kind name ("investment") or a schema identifier
// ("kpp.investment_report.v1").
func ParseKind(s string) (Kind, error) {
	for _, k := range kinds {
		if s == string(k) || s == k.SchemaID() {
			return k, nil
		}
	}
	return "", fmt.Errorf("%w: %q (expected one of project, investment, milestone)", ErrUnknownKind, s)
}
