package demo

import "github.com/keyproject/kpp/schema"

// Demo is a built demo data set.
type Demo struct {
	// Config is the configuration it was built with, defaults applied.
	Config Config
	// Projects are the registrations, in seed order.
	Projects []*schema.Project
	// Reports are the investment reports and milestone updates, in the
	// order they are reported.
	Reports []schema.Event
}

// Build builds the portfolio and its reports for cfg.
func Build(cfg Config) (*Demo, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	projects, err := Portfolio(cfg)
	if err != nil {
		return nil, err
	}
	reports, err := Reports(cfg, projects)
	if err != nil {
		return nil, err
	}
	return &Demo{Config: cfg, Projects: projects, Reports: reports}, nil
}

// Events returns every event in publication order: the registrations
// first (reports refer to them), then the reports.
func (d *Demo) Events() []schema.Event {
	out := make([]schema.Event, 0, len(d.Projects)+len(d.Reports))
	for _, p := range d.Projects {
		out = append(out, p)
	}
	return append(out, d.Reports...)
}
