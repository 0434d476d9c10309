package schema_test

import (
	"testing"
	"time"

	"github.com/keyproject/kpp/schema"
)

func TestParseWanText(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"plain decimal", "1234.5", "1234.5"},
		{"full-width digits and point", "１２３４．５", "1234.5"},
		{"spaces around, also ideographic", "\u3000 350 \u00a0", "350"},
		{"thousands separators in their places", "1,234,567.25", "1234567.25"},
		{"full-width separators", "１３，５００．２５", "13500.25"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := schema.ParseWanText(c.in)
			if !w.Valid() || w.Value.String() != c.want {
				t.Fatalf("ParseWanText(%q) = %+v, want %s", c.in, w, c.want)
			}
		})
	}
	for _, c := range []struct{ name, in string }{
		{"separators out of place are refused", "1,2345"},
		{"a space inside is refused", "1 234"},
		{"an exponent is refused", "1e5"},
		{"a unit is refused", "350万元"},
		{"the ideographic full stop is not a decimal point", "1234。5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := schema.ParseWanText(c.in)
			if w.Valid() || w.Raw != c.in {
				t.Fatalf("ParseWanText(%q) = %+v, want refused with Raw %q", c.in, w, c.in)
			}
		})
	}
	if w := schema.ParseWanText("  "); w.Set {
		t.Fatalf("blank is no value, got %+v", w)
	}
}

func TestParsePeriodText(t *testing.T) {
	for in, want := range map[string]string{
		"2025-09": "2025-09", "2025-9": "2025-09", "2025/9": "2025-09", "2025/09": "2025-09",
		"2025年9月": "2025-09", "2025 年 10 月": "2025-10", "２０２５年７月": "2025-07", "202509": "2025-09", " 2025-12 ": "2025-12",
	} {
		if got, ok := schema.ParsePeriodText(in); !ok || got != want {
			t.Errorf("ParsePeriodText(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"2025.9", "2025.10", "2025-13", "202513", "2025-09-30", "25-09", "2025年9", "九月", "2025-", "20259"} {
		if got, ok := schema.ParsePeriodText(in); ok || got != in {
			t.Errorf("ParsePeriodText(%q) = %q, %v; want refused and unchanged", in, got, ok)
		}
	}
}

func TestParseDateText(t *testing.T) {
	for in, want := range map[string]string{
		"2025-09-30": "2025-09-30", "2025-9-3": "2025-09-03", "2025/9/30": "2025-09-30",
		"2025年9月30日": "2025-09-30", "2025-09-30 00:00:00": "2025-09-30", "２０２５－０９－３０": "2025-09-30",
	} {
		if got, ok := schema.ParseDateText(in); !ok || got != want {
			t.Errorf("ParseDateText(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"2025-02-30", "2025.9.30", "2025-09-30 12:00", "20250930", "2025-09", "30/9/2025"} {
		if got, ok := schema.ParseDateText(in); ok || got != in {
			t.Errorf("ParseDateText(%q) = %q, %v; want refused and unchanged", in, got, ok)
		}
	}
}

func TestParseTimeText(t *testing.T) {
	want := time.Date(2025, 10, 3, 9, 30, 0, 0, schema.Location())
	for _, in := range []string{"2025-10-03T09:30:00+08:00", "2025-10-03 09:30", "2025-10-03 09:30:00", "2025/10/3 09:30", "２０２５－１０－０３　０９：３０"} {
		if got, ok := schema.ParseTimeText(in); !ok || !got.Equal(want) {
			t.Errorf("ParseTimeText(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"2025-10-03", "09:30", "2025.10.3 09:30"} {
		if _, ok := schema.ParseTimeText(in); ok {
			t.Errorf("ParseTimeText(%q) accepted; want refused", in)
		}
	}
}

func TestParseRevisionText(t *testing.T) {
	for in, want := range map[string]int{"": 0, "1": 1, "２": 2, " 12 ": 12, "4294967295": schema.MaxRevision} {
		if got, ok := schema.ParseRevisionText(in); !ok || got != want {
			t.Errorf("ParseRevisionText(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"0", "-1", "1.5", "2.0", "4294967296", "v2"} {
		if _, ok := schema.ParseRevisionText(in); ok {
			t.Errorf("ParseRevisionText(%q) accepted; want refused", in)
		}
	}
}

func TestParsePercentText(t *testing.T) {
	for in, want := range map[string]string{"45.5": "45.5", "45.5%": "45.5", "６０％": "60"} {
		d, fe := schema.ParsePercentText("percent_complete", in)
		if fe != nil || d == nil || d.String() != want {
			t.Errorf("ParsePercentText(%q) = %v, %+v; want %s", in, d, fe, want)
		}
	}
	if _, fe := schema.ParsePercentText("percent_complete", "六成"); fe == nil || fe.Value != "六成" {
		t.Errorf("ParsePercentText(六成) = %+v; want a problem showing what was typed", fe)
	}
}

func TestWanDisplay(t *testing.T) {
	for in, want := range map[string]string{"1234.5": "1234.50", "0": "0.00", "1200.0000": "1200.00", "0.0012": "0.0012", "3.125": "3.125"} {
		if got := schema.MustWan(in).Display(); got != want {
			t.Errorf("Display(%s) = %s, want %s", in, got, want)
		}
	}
}
