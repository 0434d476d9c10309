package sheet

import (
	"errors"

	"github.com/keyproject/kpp/schema"
)

// Sentinel errors; callers use errors.Is. The errors that wrap them say
// which setting or input was wrong and what is expected.
var (
	// ErrOptions is wrapped by [Options.Validate] errors: a setting of the
	// reader is out of range (a programming or configuration mistake, not a
	// problem of the uploaded file).
	ErrOptions = errors.New("invalid sheet reader options")
	// ErrTemplateInput is wrapped when [Template] is given input it cannot
	// turn into a workbook (no department, no projects, a bad project id).
	ErrTemplateInput = errors.New("invalid template input")
)

// Rules of the problems the reader finds beyond those of package schema
// and producers/submit (which it also uses: submit.RuleFile for a file that
// is not a spreadsheet, submit.RuleColumn for header problems, submit.RuleRow
// for CSV syntax and cells under a column without a header).
const (
	// RuleFormula: a cell that is read holds a formula instead of a value.
	RuleFormula schema.Rule = "formula"
	// RuleTooManyRows: the sheet has more report rows than [Options.MaxRows].
	RuleTooManyRows schema.Rule = "too_many_rows"
	// RuleTooLarge: a workbook exceeds a budget of the reader (unzipped
	// size, cells, columns, text): refused as soon as it is exceeded.
	RuleTooLarge schema.Rule = "too_large"
	// RuleOtherDepartment: a row names a department other than the signed-in
	// one ([Options.DepartmentID]).
	RuleOtherDepartment schema.Rule = "other_department"
)
