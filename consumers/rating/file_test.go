package rating_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/keyproject/kpp/consumers/rating"
)

func TestDefaultFileIsTheDefaultRules(t *testing.T) {
	r, err := rating.ParseRules(rating.DefaultFile(), "rules.default.toml")
	if err != nil {
		t.Fatal(err)
	}
	if d := rating.DefaultRules(); !reflect.DeepEqual(r.WithDefaults(), d) || r.JSON() != d.JSON() {
		t.Fatalf("the default file reads as\n%+v\nwant DefaultRules()\n%+v", r, d)
	}
	// Every key of the file is documented in docs/dispatch.md.
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "dispatch.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"mode", "yellow_band", "ratio_yellow_below", "ratio_red_below", "milestone_overdue_days",
		"escalate_after", "basis", "milestone_due_days", "[deadline]", "day", "working_days", "holidays", "workdays"} {
		if !bytes.Contains(rating.DefaultFile(), []byte(key)) || !bytes.Contains(doc, []byte("`"+key+"`")) {
			t.Errorf("key %s is missing from the default file or from docs/dispatch.md", key)
		}
	}
}

func TestLoadRules(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.toml")
	content := `# Wuhan, with escalation and a working-day deadline
mode = "ratio"
ratio_yellow_below = 0.8
ratio_red_below = "0.6"
escalate_after = 2
basis = "phased_plan"
milestone_due_days = 7

[deadline]
day = 5
working_days = true
holidays = ["2025-10-01", 2025-10-02]
workdays = ["2025-10-11"]
`
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := rating.LoadRules(path)
	if err != nil {
		t.Fatal(err)
	}
	want := rating.Rules{Mode: rating.ModeRatio, RatioYellowBelow: wan("0.8"), RatioRedBelow: wan("0.6"), EscalateAfter: 2,
		Basis: rating.BasisPhasedPlan, MilestoneDueDays: 7,
		Deadline: rating.Deadline{Day: 5, WorkingDays: true, Holidays: []string{"2025-10-01", "2025-10-02"}, Workdays: []string{"2025-10-11"}}}
	if r.JSON() != want.JSON() {
		t.Fatalf("LoadRules =\n%s\nwant\n%s", r.JSON(), want.JSON())
	}
	if !r.RatioYellowBelow.Equal(wan("0.8")) {
		t.Errorf("ratio_yellow_below = %s, want exactly 0.8", r.RatioYellowBelow)
	}

	if _, err := rating.LoadRules(filepath.Join(dir, "absent.toml")); !errors.Is(err, os.ErrNotExist) ||
		!strings.Contains(err.Error(), "kpp rules default >") {
		t.Errorf("LoadRules of a missing file = %v, want ErrNotExist with a hint", err)
	}
}

func TestLoadRulesRejectsBadFiles(t *testing.T) {
	tests := []struct {
		name, content string
		want          string
	}{
		{"an unknown key is rejected", "mode = \"pp_gap\"\nyelow_band = 5\n",
			`rules.toml, line 2: invalid rating rules: unknown key "yelow_band" at the top; expected one of mode, yellow_band,`},
		{"an unknown key in [deadline] is rejected", "[deadline]\nday = 5\nworkingdays = true\n",
			`rules.toml, line 3: invalid rating rules: unknown key "deadline.workingdays" in [deadline]; expected one of day, working_days, holidays, workdays`},
		{"a mode that is not a string is rejected", "mode = 1\n",
			"rules.toml, line 1: invalid rating rules: mode is the integer 1; expected a string in quotes"},
		{"an unknown mode is rejected", "\nmode = \"stars\"\n",
			`rules.toml, line 2: invalid rating rules: mode "stars" is not a rating mode; expected pp_gap or ratio`},
		{"a band that is not a number is rejected", "yellow_band = \"ten\"\n",
			`rules.toml, line 1: invalid rating rules: yellow_band = "ten" is not a number; expected a decimal number such as 10 or 0.8`},
		{"a band of zero is rejected, not silently defaulted", "yellow_band = 0\n",
			"rules.toml, line 1: invalid rating rules: yellow_band = 0 cannot be configured (0 means the default); expected a band > 0"},
		{"a band over 100 points is rejected", "yellow_band = 120\n",
			"rules.toml, line 1: invalid rating rules: yellow_band 120 is outside 0-100 percentage points"},
		{"ratio bands in the wrong order are rejected", "mode = \"ratio\"\nratio_yellow_below = 0.5\nratio_red_below = 0.7\n",
			"rules.toml, line 3: invalid rating rules: ratio_red_below 0.7 is not below ratio_yellow_below 0.5"},
		{"days as a decimal are rejected", "milestone_overdue_days = 30.5\n",
			"rules.toml, line 1: invalid rating rules: milestone_overdue_days is the number 30.5; expected a whole number"},
		{"zero overdue days are rejected", "milestone_overdue_days = 0\n",
			"rules.toml, line 1: invalid rating rules: milestone_overdue_days = 0 cannot be configured; expected at least 1"},
		{"a negative escalation is rejected", "escalate_after = -1\n",
			"rules.toml, line 1: invalid rating rules: escalate_after = -1 is out of range; expected a whole number 0-10000"},
		{"an unknown basis is rejected", "basis = \"lunar\"\n",
			`rules.toml, line 1: invalid rating rules: basis "lunar" is not a time-progress basis; expected time or phased_plan`},
		{"deadline as a value is rejected", "deadline = 5\n",
			"rules.toml, line 1: invalid rating rules: deadline is the integer 5; expected a table [deadline] with day, working_days"},
		{"a deadline day of 31 is rejected", "[deadline]\nday = 31\n",
			"rules.toml, line 2: invalid rating rules: deadline.day 31 is not a day every month has; expected 1-28"},
		{"working_days that is not a boolean is rejected", "[deadline]\nworking_days = \"yes\"\n",
			`rules.toml, line 2: invalid rating rules: deadline.working_days is the string "yes"; expected true or false`},
		{"a holiday that is not a date is rejected", "[deadline]\nholidays = [\"2025-10-01\", \"10/02\"]\n",
			`rules.toml, line 2: invalid rating rules: deadline.holidays[1] = "10/02" is not a date; expected YYYY-MM-DD`},
		{"holidays that are not a list are rejected", "[deadline]\nholidays = \"2025-10-01\"\n",
			`rules.toml, line 2: invalid rating rules: deadline.holidays is the string "2025-10-01"; expected a list of dates`},
		{"a day both holiday and make-up day is rejected", "[deadline]\nworking_days = true\nholidays = [2025-10-11]\nworkdays = [2025-10-11]\n",
			"rules.toml, line 4: invalid rating rules: deadline.workdays: 2025-10-11 is also listed in deadline.holidays"},
		{"a dotted key is found on its line", "mode = \"pp_gap\"\ndeadline.day = 40\n",
			"rules.toml, line 2: invalid rating rules: deadline.day 40 is not a day every month has"},
		{"a syntax error names its line", "mode = \"pp_gap\"\nyellow_band = = 5\n",
			"rules.toml, line 2: invalid rating rules: not valid TOML:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rating.ParseRules([]byte(tt.content), "rules.toml")
			if !errors.Is(err, rating.ErrBadRules) || !strings.Contains(err.Error(), "rules file "+tt.want) {
				t.Fatalf("ParseRules =\n%v\nwant ErrBadRules containing\nrules file %s", err, tt.want)
			}
		})
	}
}
