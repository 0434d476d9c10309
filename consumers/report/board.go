// Package report renders the monthly dispatch board (红黄绿榜) stored by
// the rollup as a terminal table, CSV or Markdown.
//
// The board has a title (2025年9月 重点项目投资月度调度（红黄绿榜）), the
// overall line (projects, reported, counts by status, year-to-date against
// plan in 亿元), the projects with the laggards first (red, yellow, green,
// unrated, then by gap ascending), and the totals by category, department
// and region.
//
// The table and Markdown formats are for reading: money in 万元 with two
// places for projects and in 亿元 with two places for totals. The CSV
// format is for Excel and analysts: UTF-8 with a byte-order mark, plain
// numbers exactly as stored (万元, four places; percentages, two places).
package report

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/schema"
)

// The formats of [MonthlyBoard.Render].
const (
	// FormatTable is an aligned text table for a terminal.
	FormatTable = "table"
	// FormatCSV is CSV for Excel: UTF-8 with a BOM, plain numbers.
	FormatCSV = "csv"
	// FormatMarkdown is Markdown with a table per section.
	FormatMarkdown = "md"
)

// Formats returns the names Render accepts.
func Formats() []string { return []string{FormatTable, FormatCSV, FormatMarkdown} }

// MonthlyBoard is a month's board, ordered for reading.
type MonthlyBoard struct {
	// Period is the month reviewed.
	Period schema.Period
	// ComputedAt is when the rollup ran.
	ComputedAt time.Time
	// Overall is the total of every project.
	Overall rollup.TotalRow
	// Projects are in board order: red, yellow, green, unrated; within a
	// status by gap ascending (furthest behind first), then by project id.
	Projects []rollup.ProjectRow
	// Groups are the totals by category, department and region, in that
	// order, each by key.
	Groups []rollup.TotalRow
}

// LoadMonthly reads the stored board of a month. When the month has no
// stored results the error wraps [rollup.ErrNotComputed] and says which
// command computes them.
func LoadMonthly(ctx context.Context, st *chstore.Store, period schema.Period) (*MonthlyBoard, error) {
	b, err := rollup.Load(ctx, st, period)
	if err != nil {
		return nil, fmt.Errorf("monthly report: %w", err)
	}
	return NewMonthlyBoard(b), nil
}

// NewMonthlyBoard orders a board computed or loaded by the rollup for
// rendering. It does not change b.
func NewMonthlyBoard(b *rollup.Board) *MonthlyBoard {
	mb := &MonthlyBoard{Period: b.Period, ComputedAt: b.ComputedAt, Overall: b.Total()}
	mb.Projects = append([]rollup.ProjectRow(nil), b.Projects...)
	sort.SliceStable(mb.Projects, func(i, j int) bool {
		a, c := mb.Projects[i], mb.Projects[j]
		if ra, rc := a.Status.Rank(), c.Status.Rank(); ra != rc {
			return ra < rc
		}
		switch {
		case a.GapPP != nil && c.GapPP != nil && !a.GapPP.Equal(*c.GapPP):
			return a.GapPP.LessThan(*c.GapPP)
		case (a.GapPP == nil) != (c.GapPP == nil):
			return a.GapPP != nil
		}
		return a.ProjectID < c.ProjectID
	})
	for _, d := range rollup.Dimensions()[1:] {
		for _, t := range b.Totals {
			if t.Dimension == d {
				mb.Groups = append(mb.Groups, t)
			}
		}
	}
	return mb
}

// Title is the board's title, e.g. 2025年9月 重点项目投资月度调度（红黄绿榜）.
func (b *MonthlyBoard) Title() string {
	return fmt.Sprintf("%d年%d月 重点项目投资月度调度（红黄绿榜）", b.Period.Year, int(b.Period.Month))
}

// Render writes the board in a format of [Formats]: table, csv or md.
func (b *MonthlyBoard) Render(w io.Writer, format string) error {
	var err error
	switch format {
	case FormatTable:
		err = b.renderTable(w)
	case FormatCSV:
		err = b.renderCSV(w)
	case FormatMarkdown:
		err = b.renderMarkdown(w)
	default:
		return fmt.Errorf("%w %q; expected one of %s", ErrUnknownFormat, format, strings.Join(Formats(), ", "))
	}
	if err != nil {
		return fmt.Errorf("render the %s board of %s: %w", format, b.Period, err)
	}
	return nil
}

// Summary is the overall line, e.g. 共9个项目，本月已报送7个、未报送2个；
// 绿2个、黄2个、红4个、未评级1个。全部项目本年累计完成1.88亿元；评级项目…
func (b *MonthlyBoard) Summary() string {
	o := b.Overall
	ratedYTD := decimal.Zero
	for _, p := range b.Projects {
		if p.Status != rating.Unrated {
			ratedYTD = ratedYTD.Add(p.YTDCompletedWan)
		}
	}
	s := fmt.Sprintf("共%d个项目，本月已报送%d个、未报送%d个；绿%d个、黄%d个、红%d个、未评级%d个。全部项目本月完成%s亿元，本年累计完成%s亿元",
		o.Projects, o.Reported, o.Projects-o.Reported, o.Green, o.Yellow, o.Red, o.Unrated, yi(o.MonthCompletedWan), yi(o.YTDCompletedWan))
	if o.CompletionPct == nil {
		return s + fmt.Sprintf("；无评级项目，序时进度%s%%。", o.TimeProgressPct.StringFixed(2))
	}
	return s + fmt.Sprintf("；评级项目本年累计完成%s亿元，年度计划%s亿元，投资完成率%s%%，序时进度%s%%，差距%s个百分点。",
		yi(ratedYTD), yi(o.AnnualPlanWan), o.CompletionPct.StringFixed(2), o.TimeProgressPct.StringFixed(2), signed(*o.GapPP))
}

// Footer says when the board was computed.
func (b *MonthlyBoard) Footer() string {
	return fmt.Sprintf("序时进度为%d/12；计算时间%s。重新计算：kpp rollup monthly --period %s",
		int(b.Period.Month), b.ComputedAt.In(schema.Location()).Format("2006-01-02 15:04"), b.Period)
}

// yi renders 万元 as 亿元 with two places (10000 万元 = 1 亿元).
func yi(wan decimal.Decimal) string { return wan.Shift(-4).StringFixed(2) }

// signed renders points with an explicit sign: +5.00, -10.01, 0.00.
func signed(d decimal.Decimal) string {
	if d.IsPositive() {
		return "+" + d.StringFixed(2)
	}
	return d.StringFixed(2)
}
