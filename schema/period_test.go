package schema_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/keyproject/kpp/schema"
)

// String renders YYYY-MM as fmt's %04d-%02d does, for any year and month.
func TestPeriodStringIsZeroPadded(t *testing.T) {
	for _, y := range []int{0, 7, 99, 999, 2000, 2025, 2100, 9999, 10000, -1, -2025} {
		for _, m := range []int{0, 1, 9, 10, 12, 13, 99, 100, -1} {
			p := schema.Period{Year: y, Month: time.Month(m)}
			if got, want := p.String(), fmt.Sprintf("%04d-%02d", y, m); got != want {
				t.Errorf("Period{%d, %d}.String() = %q, want %q", y, m, got, want)
			}
		}
	}
	if p, err := schema.ParsePeriod("2025-09"); err != nil || p.String() != "2025-09" {
		t.Errorf("ParsePeriod(2025-09).String() = %q, %v", p.String(), err)
	}
}
