package report

import (
	"fmt"
	"math"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/rollup"
)

// The charts are inline SVG computed here and drawn by the page template
// (html/template escapes every label). Coordinates are float64 pixels;
// the figures printed on the charts come from the exact decimals.

// Chart colours: the board's red, yellow and green, grey for unrated, a
// blue for amounts.
const (
	colorRed     = "#d63b30"
	colorYellow  = "#e8a800"
	colorGreen   = "#2e9d4f"
	colorGrey    = "#9aa0a6"
	colorBlue    = "#3b6fb6"
	colorBehind  = "#e07b00"
	chartWidth   = 680.0
	barRowHeight = 26.0
)

// hBarChart is a horizontal bar chart: one row per group with a bar, its
// value and, for completion charts, a vertical time-progress line.
type hBarChart struct {
	ID, Title, Desc string
	Width, Height   float64
	// PlotX and PlotW are the plot area's left edge and width; Top is the
	// first row's top.
	PlotX, PlotW, Top, Bottom float64
	Rows                      []hBar
	Ticks                     []tick
	// Marker is the time-progress line (nil for none).
	Marker *marker
	Legend []legendItem
}

// hBar is one row of a horizontal bar chart.
type hBar struct {
	// Key identifies the group (category code, department id, status).
	Key, Label string
	// Y is the bar's top; W its width (0 when there is no value).
	Y, W, H, TextY float64
	// Value is the figure printed after the bar, e.g. 80.00% or 4.
	Value string
	Color string
}

type tick struct {
	Pos   float64
	Label string
}

type marker struct {
	X     float64
	Label string
}

type legendItem struct {
	X            float64
	Color, Label string
	Line         bool
}

// vBarChart is a vertical bar chart: the monthly investment trend.
type vBarChart struct {
	ID, Title, Desc string
	Width, Height   float64
	PlotX, PlotW    float64
	Top, Base       float64
	Bars            []vBar
	Ticks           []tick
	Unit            string
}

// vBar is one month's bar.
type vBar struct {
	Key, Label     string
	X, Y, W, H     float64
	LabelX, ValueY float64
	Value          string
}

// completionChart draws the completion of each group of a dimension
// against the time progress: a bar per group (green when on or ahead of
// time progress, orange when behind; no bar for a group without rated
// projects) and a dashed line at the time progress.
func completionChart(id, title string, groups []rollup.TotalRow, timeProgress decimal.Decimal) hBarChart {
	c := hBarChart{ID: id, Title: title, Width: chartWidth, PlotX: 190, PlotW: chartWidth - 190 - 70, Top: 34}
	c.Desc = fmt.Sprintf("%s：横条为投资完成率，虚线为序时进度%s%%。", title, timeProgress.StringFixed(2))
	top := 100.0
	for _, g := range groups {
		if g.CompletionPct != nil {
			top = math.Max(top, g.CompletionPct.InexactFloat64())
		}
	}
	top = math.Ceil(top/20) * 20
	scale := func(v float64) float64 { return c.PlotW * v / top }
	for v := 0.0; v <= top+1e-9; v += 20 {
		c.Ticks = append(c.Ticks, tick{Pos: c.PlotX + scale(v), Label: fmt.Sprintf("%.0f%%", v)})
	}
	for i, g := range groups {
		y := c.Top + float64(i)*barRowHeight
		b := hBar{Key: g.Key, Label: g.Label, Y: y + 4, H: barRowHeight - 8, TextY: y + barRowHeight/2 + 4, Value: "未评级", Color: colorGrey}
		if g.CompletionPct != nil {
			b.W = scale(math.Max(0, g.CompletionPct.InexactFloat64()))
			b.Value = g.CompletionPct.StringFixed(2) + "%"
			b.Color = colorGreen
			if g.GapPP != nil && g.GapPP.IsNegative() {
				b.Color = colorBehind
			}
		}
		c.Rows = append(c.Rows, b)
	}
	c.Bottom = c.Top + float64(len(groups))*barRowHeight
	c.Height = c.Bottom + 44
	c.Marker = &marker{X: c.PlotX + scale(timeProgress.InexactFloat64()), Label: "序时进度" + timeProgress.StringFixed(2) + "%"}
	c.Legend = []legendItem{
		{X: 0, Color: colorGreen, Label: "达到序时进度"},
		{X: 130, Color: colorBehind, Label: "落后序时进度"},
		{X: 260, Color: colorRed, Label: "序时进度", Line: true},
	}
	return c
}

// statusChart draws the counts of red, yellow, green and unrated projects.
func statusChart(o rollup.TotalRow) hBarChart {
	c := hBarChart{ID: "chart-status", Title: "红黄绿榜项目数", Width: chartWidth, PlotX: 90, PlotW: chartWidth - 90 - 70, Top: 10}
	c.Desc = fmt.Sprintf("红%d个、黄%d个、绿%d个、未评级%d个。", o.Red, o.Yellow, o.Green, o.Unrated)
	rows := []struct {
		key, label, color string
		n                 int
	}{
		{"red", "红", colorRed, o.Red}, {"yellow", "黄", colorYellow, o.Yellow},
		{"green", "绿", colorGreen, o.Green}, {"unrated", "未评级", colorGrey, o.Unrated},
	}
	most := 1
	for _, r := range rows {
		most = max(most, r.n)
	}
	for i, r := range rows {
		y := c.Top + float64(i)*barRowHeight
		c.Rows = append(c.Rows, hBar{Key: r.key, Label: r.label, Y: y + 4, H: barRowHeight - 8, TextY: y + barRowHeight/2 + 4,
			W: c.PlotW * float64(r.n) / float64(most), Value: fmt.Sprintf("%d个", r.n), Color: r.color})
	}
	c.Bottom = c.Top + float64(len(rows))*barRowHeight
	c.Height = c.Bottom + 10
	return c
}

// trendChart draws the investment of each month of the year in 亿元.
func trendChart(year int, trend []rollup.MonthAmount) vBarChart {
	c := vBarChart{ID: "chart-trend", Title: fmt.Sprintf("%d年各月完成投资（亿元）", year), Width: chartWidth, Height: 260,
		PlotX: 56, Top: 24, Base: 220, Unit: "亿元"}
	c.PlotW = c.Width - c.PlotX - 10
	total := decimal.Zero
	most := 0.0
	for _, m := range trend {
		total = total.Add(m.AmountWan)
		most = math.Max(most, m.AmountWan.Shift(-4).InexactFloat64())
	}
	c.Desc = fmt.Sprintf("%d年1月至今各月完成投资，合计%s亿元。", year, yi(total))
	step := niceStep(most / 4)
	top := math.Max(step*math.Ceil(most/step), step)
	scale := func(v float64) float64 { return (c.Base - c.Top) * v / top }
	for v := 0.0; v <= top+step/1000; v += step {
		c.Ticks = append(c.Ticks, tick{Pos: c.Base - scale(v), Label: trimFloat(v)})
	}
	slot := c.PlotW / 12
	for i, m := range trend {
		h := scale(math.Max(0, m.AmountWan.Shift(-4).InexactFloat64()))
		x := c.PlotX + float64(i)*slot + slot*0.18
		c.Bars = append(c.Bars, vBar{Key: m.Month.String(), Label: fmt.Sprintf("%d月", int(m.Month.Month)),
			X: x, W: slot * 0.64, Y: c.Base - h, H: h, LabelX: x + slot*0.32, ValueY: c.Base - h - 4, Value: yi(m.AmountWan)})
	}
	return c
}

// niceStep rounds a raw axis step up to 1, 2, 2.5 or 5 times a power of
// ten (at least 0.01).
func niceStep(raw float64) float64 {
	if raw <= 0.01 {
		return 0.01
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*p+1e-12 {
			return m * p
		}
	}
	return 10 * p
}

// trimFloat prints an axis label without trailing zeros: 2, 2.5, 0.25.
func trimFloat(v float64) string {
	return decimal.NewFromFloat(v).Round(2).String()
}
