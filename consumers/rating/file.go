package rating

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/schema"
)

// defaultFile is the commented default rules file.
//
//go:embed rules.default.toml
var defaultFile []byte

// DefaultFile returns the commented rules file whose rule is
// [DefaultRules]: a starting point to copy and edit (kpp rules default).
func DefaultFile() []byte { return append([]byte(nil), defaultFile...) }

// LoadRules reads the rules file at path (TOML; see [DefaultFile] and
// docs/dispatch.md). A key left out takes its default. An unknown key, a
// value of the wrong type or out of range is an error wrapping
// [ErrBadRules] that names the file, the line, the key and what is
// expected.
func LoadRules(path string) (Rules, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Rules{}, fmt.Errorf("rules file %s: %w; `kpp rules default > %s` writes the default file to start from", path, err, path)
		}
		return Rules{}, fmt.Errorf("rules file %s: %w", path, err)
	}
	return ParseRules(data, path)
}

// ParseRules reads a rules file's content; name is the file's name for the
// messages. See [LoadRules].
func ParseRules(data []byte, name string) (Rules, error) {
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return Rules{}, fmt.Errorf("rules file %s, line %d: %w: not valid TOML: %s", name, pe.Position.Line, ErrBadRules, pe.Message)
		}
		return Rules{}, fmt.Errorf("rules file %s: %w: not valid TOML: %v", name, ErrBadRules, err)
	}
	f := ruleFile{name: name, data: string(data)}
	r, err := f.rules(doc)
	if err != nil {
		return Rules{}, err
	}
	if err := r.Validate(); err != nil {
		var ke *keyError
		if errors.As(err, &ke) {
			return Rules{}, f.errAt(ke.key, err)
		}
		return Rules{}, fmt.Errorf("rules file %s: %w", name, err)
	}
	return r, nil
}

// The keys of the rules file, in file order.
var (
	topKeys      = []string{"mode", "yellow_band", "ratio_yellow_below", "ratio_red_below", "milestone_overdue_days", "escalate_after", "basis", "milestone_due_days", "deadline"}
	deadlineKeys = []string{"day", "working_days", "holidays", "workdays"}
)

type ruleFile struct {
	name, data string
}

func (f ruleFile) rules(doc map[string]any) (Rules, error) {
	var r Rules
	if err := f.unknown(doc, "", topKeys); err != nil {
		return r, err
	}
	var err error
	str := func(key string, dst *string) {
		if v, ok := doc[key]; ok && err == nil {
			s, ok := v.(string)
			if !ok {
				err = f.errf(key, "%s is %s; expected a string in quotes", key, describe(v))
			}
			*dst = s
		}
	}
	var mode, basis string
	str("mode", &mode)
	str("basis", &basis)
	r.Mode, r.Basis = Mode(mode), Basis(basis)
	if err != nil {
		return r, err
	}
	for _, d := range []struct {
		key  string
		dst  *decimal.Decimal
		hint string
	}{
		{"yellow_band", &r.YellowBand, "a band > 0, e.g. 0.0001 to make nearly every shortfall red"},
		{"ratio_yellow_below", &r.RatioYellowBelow, "a ratio > 0 such as 0.8"},
		{"ratio_red_below", &r.RatioRedBelow, "a ratio > 0 such as 0.6 (0.0001 for practically never red)"},
	} {
		v, ok := doc[d.key]
		if !ok {
			continue
		}
		n, e := f.number(d.key, v)
		if e != nil {
			return r, e
		}
		if n.IsZero() {
			return r, f.errf(d.key, "%s = 0 cannot be configured (0 means the default); expected %s", d.key, d.hint)
		}
		*d.dst = n
	}
	for _, i := range []struct {
		key      string
		dst      *int
		zeroHint string // "" when 0 is allowed
	}{
		{"milestone_overdue_days", &r.MilestoneOverdueDays, "at least 1 (0 means the default 30)"},
		{"escalate_after", &r.EscalateAfter, ""},
		{"milestone_due_days", &r.MilestoneDueDays, "at least 1 (0 means the default 14)"},
	} {
		v, ok := doc[i.key]
		if !ok {
			continue
		}
		n, e := f.integer(i.key, v)
		if e != nil {
			return r, e
		}
		if n == 0 && i.zeroHint != "" {
			return r, f.errf(i.key, "%s = 0 cannot be configured; expected %s", i.key, i.zeroHint)
		}
		*i.dst = n
	}
	v, ok := doc["deadline"]
	if !ok {
		return r, nil
	}
	table, ok := v.(map[string]any)
	if !ok {
		return r, f.errf("deadline", "deadline is %s; expected a table [deadline] with %s", describe(v), strings.Join(deadlineKeys, ", "))
	}
	if err := f.unknown(table, "deadline.", deadlineKeys); err != nil {
		return r, err
	}
	if v, ok := table["day"]; ok {
		n, err := f.integer("deadline.day", v)
		if err != nil {
			return r, err
		}
		if n == 0 {
			return r, f.errf("deadline.day", "deadline.day = 0 is not a day; expected 1-28 (calendar) or 1-20 (working days)")
		}
		r.Deadline.Day = n
	}
	if v, ok := table["working_days"]; ok {
		b, ok := v.(bool)
		if !ok {
			return r, f.errf("deadline.working_days", "deadline.working_days is %s; expected true or false", describe(v))
		}
		r.Deadline.WorkingDays = b
	}
	for _, l := range []struct {
		key string
		dst *[]string
	}{{"holidays", &r.Deadline.Holidays}, {"workdays", &r.Deadline.Workdays}} {
		v, ok := table[l.key]
		if !ok {
			continue
		}
		days, err := f.dates("deadline."+l.key, v)
		if err != nil {
			return r, err
		}
		*l.dst = days
	}
	return r, nil
}

func (f ruleFile) unknown(table map[string]any, prefix string, known []string) error {
	var bad []string
	for k := range table {
		found := false
		for _, want := range known {
			found = found || k == want
		}
		if !found {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	where := "at the top"
	if prefix != "" {
		where = "in [" + strings.TrimSuffix(prefix, ".") + "]"
	}
	return f.errf(prefix+bad[0], "unknown key %q %s; expected one of %s", prefix+bad[0], where, strings.Join(known, ", "))
}

func (f ruleFile) number(key string, v any) (decimal.Decimal, error) {
	switch n := v.(type) {
	case int64:
		return decimal.NewFromInt(n), nil
	case float64:
		// The shortest decimal that reads back as the same float: what the
		// file says, e.g. 0.8.
		return decimal.NewFromFloat(n), nil
	case string:
		d, err := decimal.NewFromString(n)
		if err != nil {
			return d, f.errf(key, "%s = %q is not a number; expected a decimal number such as 10 or 0.8", key, n)
		}
		return d, nil
	}
	return decimal.Decimal{}, f.errf(key, "%s is %s; expected a decimal number such as 10 or 0.8", key, describe(v))
}

func (f ruleFile) integer(key string, v any) (int, error) {
	n, ok := v.(int64)
	if !ok {
		return 0, f.errf(key, "%s is %s; expected a whole number", key, describe(v))
	}
	if n < 0 || n > 10000 {
		return 0, f.errf(key, "%s = %d is out of range; expected a whole number 0-10000", key, n)
	}
	return int(n), nil
}

func (f ruleFile) dates(key string, v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, f.errf(key, "%s is %s; expected a list of dates such as [\"2025-10-01\", \"2025-10-02\"]", key, describe(v))
	}
	var out []string // nil when empty, as in DefaultRules
	for i, e := range list {
		switch d := e.(type) {
		case string:
			t, err := schema.ParseDate(d)
			if err != nil {
				return nil, f.errf(key, "%s[%d] = %q is not a date; expected YYYY-MM-DD such as 2025-10-01", key, i, d)
			}
			out = append(out, t.Format(schema.DateLayout))
		case time.Time: // a TOML local date: 2025-10-01 without quotes
			out = append(out, d.Format(schema.DateLayout))
		default:
			return nil, f.errf(key, "%s[%d] is %s; expected a date YYYY-MM-DD such as 2025-10-01", key, i, describe(e))
		}
	}
	return out, nil
}

func (f ruleFile) errf(key, format string, args ...any) error {
	return f.errAt(key, fmt.Errorf("%w: "+format, append([]any{ErrBadRules}, args...)...))
}

// errAt prefixes err with the file and, when found, the line of key.
func (f ruleFile) errAt(key string, err error) error {
	if line := lineOf(f.data, key); line > 0 {
		return fmt.Errorf("rules file %s, line %d: %w", f.name, line, err)
	}
	return fmt.Errorf("rules file %s: %w", f.name, err)
}

var tableRE = regexp.MustCompile(`^\s*\[\s*([A-Za-z0-9_-]+)\s*\]`)

// lineOf finds the line that sets key ("mode" or "deadline.day"), either
// as "key =" in the right table or as a dotted key; 0 when not found.
func lineOf(data, key string) int {
	table, leaf := "", key
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		table, leaf = key[:i], key[i+1:]
	}
	leafRE := regexp.MustCompile(`^\s*"?` + regexp.QuoteMeta(leaf) + `"?\s*=`)
	dottedRE := regexp.MustCompile(`^\s*` + regexp.QuoteMeta(key) + `\s*=`)
	current := ""
	for i, line := range strings.Split(data, "\n") {
		if m := tableRE.FindStringSubmatch(line); m != nil {
			current = m[1]
			if table == "" && leaf == m[1] {
				return i + 1
			}
			continue
		}
		if (current == table && leafRE.MatchString(line)) || (table != "" && current == "" && dottedRE.MatchString(line)) {
			return i + 1
		}
	}
	return 0
}

// describe names the TOML type of a value for a message.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", x)
	case int64:
		return fmt.Sprintf("the integer %d", x)
	case float64:
		return fmt.Sprintf("the number %v", x)
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case time.Time:
		return "a date/time"
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("a %T", v)
}
