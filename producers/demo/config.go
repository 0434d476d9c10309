package demo

import (
	"fmt"
	"time"

	"github.com/keyproject/kpp/schema"
)

// Defaults of [Config].
const (
	// DefaultYear is the year of the annual plans and monthly reports.
	DefaultYear = 2025
	// DefaultThroughMonth is the last reported month of the year when
	// Config.Through is not set: September, so that the board of the
	// year's 9th month (time progress 75%) is the interesting one.
	DefaultThroughMonth = time.September
	// DefaultSeed drives every synthetic value.
	DefaultSeed uint64 = 20250930
)

// Config chooses the demo data set. The zero value means the defaults.
type Config struct {
	// Year is the year of the annual plans and reports; default
	// DefaultYear (2025). It must be 2001-2099.
	Year int
	// Through is the last month reported (inclusive); default September of
	// Year (2025-09). It must lie in Year.
	Through schema.Period
	// Seed drives the synthetic values; default DefaultSeed. The same
	// Config always builds the same events.
	Seed uint64
}

// withDefaults fills the zero fields with their defaults.
func (c Config) withDefaults() Config {
	if c.Year == 0 {
		c.Year = DefaultYear
		if c.Through.Year != 0 {
			c.Year = c.Through.Year
		}
	}
	if c.Through == (schema.Period{}) {
		c.Through = schema.Period{Year: c.Year, Month: DefaultThroughMonth}
	}
	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}
	return c
}

// Validate reports a Config whose year or month is out of range, after
// defaults are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Year < 2001 || c.Year > 2099 {
		return fmt.Errorf("%w: year %d is out of range; expected 2001-2099, e.g. %d", ErrConfig, c.Year, DefaultYear)
	}
	if c.Through.Year != c.Year || c.Through.Month < time.January || c.Through.Month > time.December {
		return fmt.Errorf("%w: through period %s is not a month of year %d; expected %d-01 … %d-12", ErrConfig, c.Through, c.Year, c.Year, c.Year)
	}
	return nil
}

// resolve applies the defaults and validates.
func (c Config) resolve() (Config, error) {
	c = c.withDefaults()
	return c, c.Validate()
}
