// Package report renders a stored dispatch review (红黄绿榜) — the weekly
// analysis (周分析), the ten-day dispatch (旬调度) or the monthly review
// (月例会) computed by the rollup — as documents people read: a terminal
// table, CSV, Markdown, a printable HTML page with charts and an Excel
// workbook; and it serves them over HTTP ([NewHandler]).
//
// A review has a title (2025年9月 重点项目投资月度调度（红黄绿榜）), the
// overall line (projects, reports received, missing and late, counts by
// status, changes since the previous review, year-to-date against plan in
// 亿元), the projects with the laggards first (red, yellow, green, unrated,
// then by gap ascending), the status changes since the previous review of
// the same kind (新晋红榜, 摘牌 …), the rankings by department, region and
// category, the missing (未报送) and late (迟报) reports of the month due,
// the milestone alerts (overdue, due soon, slipped) and the year's monthly
// investment trend.
//
// The table, Markdown and HTML formats are for reading: money in 万元 with
// two places for projects and in 亿元 with two places for totals. The CSV
// format is for Excel and analysts: UTF-8 with a byte-order mark, plain
// numbers exactly as stored (万元, four places; percentages, two places).
// The XLSX workbook stores numbers as numbers with number formats (万元
// "#,##0.00", percentages as fractions "0.00%").
//
// [Load] reads a whole board into memory; [Open] reads everything but the
// project rows, which its renderers read from ClickHouse in board order as
// they write them — CSV record by record, XLSX through excelize's stream
// writer — so that a board of 100,000 projects renders in bounded memory.
// The HTML page of a board of more than [LargeBoard] projects lists the red
// and yellow projects and counts the others per department.
package report

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/keyproject/kpp/consumers/chstore"
	"github.com/keyproject/kpp/consumers/rating"
	"github.com/keyproject/kpp/consumers/rollup"
	"github.com/keyproject/kpp/schema"
)

// The formats of [Review.Render].
const (
	// FormatTable is an aligned text table for a terminal.
	FormatTable = "table"
	// FormatCSV is CSV for Excel: UTF-8 with a BOM, plain numbers.
	FormatCSV = "csv"
	// FormatMarkdown is Markdown with a table per section.
	FormatMarkdown = "md"
	// FormatHTML is one self-contained printable page (A4) with inline SVG
	// charts and no external assets.
	FormatHTML = "html"
	// FormatXLSX is an Excel workbook (binary).
	FormatXLSX = "xlsx"
)

// Formats returns the names Render accepts.
func Formats() []string {
	return []string{FormatTable, FormatCSV, FormatMarkdown, FormatHTML, FormatXLSX}
}

// ContentType is the MIME type of a format ("" for an unknown one).
func ContentType(format string) string {
	switch format {
	case FormatTable:
		return "text/plain; charset=utf-8"
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatMarkdown:
		return "text/markdown; charset=utf-8"
	case FormatHTML:
		return "text/html; charset=utf-8"
	case FormatXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return ""
}

// Binary reports whether a format's output is not text (xlsx): callers
// should not write it to a terminal.
func Binary(format string) bool { return format == FormatXLSX }

// extension is the file extension of a format.
func extension(format string) string {
	if format == FormatTable {
		return "txt"
	}
	return format
}

// Review is a stored review, ordered for reading.
type Review struct {
	// Period is the review period; its Kind says which review.
	Period schema.ReviewPeriod
	// ComputedAt is when the rollup ran.
	ComputedAt time.Time
	// RunID is the rollup run that computed the review.
	RunID string
	// Cutoff is the instant the data was read as of (zero when unknown).
	Cutoff time.Time
	// Overall is the total of every project.
	Overall rollup.TotalRow
	// Projects are in board order: red, yellow, green, unrated; within a
	// status by gap ascending (furthest behind first), then by project id.
	// A review read by [Open] has none in memory (nil): its renderers read
	// them from ClickHouse as they write them, and [Review.WithStatus] and
	// [Review.Changed] return nothing.
	Projects []rollup.ProjectRow
	// Groups are the totals by category, department and region, in that
	// order; within a dimension by rank (the order the meeting reads),
	// then by key.
	Groups []rollup.TotalRow
	// Milestones are the alerts: overdue (most days first), due (soonest
	// first), slipped (most days first); then by project and milestone.
	Milestones []rollup.MilestoneAlert
	// Reporting is the reporting status of the month due: missing, late,
	// on time; within a status by department, then project. A review read
	// by [Open] holds the missing and late rows only (the CSV reads the
	// on-time ones as it writes them).
	Reporting []rollup.ReportingRow
	// Trend is the year's investment by month, January first.
	Trend []rollup.MonthAmount
	// Issuer is the office that issues the board (编制单位), printed in the
	// title block of the HTML page; left blank to fill in by hand when "".
	Issuer string
	// Arrived counts what was received after the review was computed (see
	// [Review.StaleNote]); set by Load and Open.
	Arrived rollup.Arrived

	// st and outline are set by Open: the store the project rows and the
	// on-time reporting rows are read from as they are rendered, and the
	// counts the summary needs. Reporting then holds the missing and late
	// rows only.
	st      *chstore.Store
	outline *rollup.Outline
}

// Load reads a stored review. When the review has no stored results the
// error wraps [rollup.ErrNotComputed] and says which command computes it.
func Load(ctx context.Context, st *chstore.Store, p schema.ReviewPeriod) (*Review, error) {
	b, err := rollup.Load(ctx, st, p)
	if err != nil {
		return nil, fmt.Errorf("%s report: %w", p.Kind, err)
	}
	r := New(b)
	if r.Arrived, err = rollup.ArrivedAfter(ctx, st, p, b.Cutoff); err != nil {
		return nil, fmt.Errorf("%s report: %w", p.Kind, err)
	}
	return r, nil
}

// LoadMonthly reads the stored monthly review of a month; see [Load].
func LoadMonthly(ctx context.Context, st *chstore.Store, month schema.Period) (*Review, error) {
	p, err := schema.ParseReviewPeriod(schema.ReviewMonthly, month.String())
	if err != nil {
		return nil, fmt.Errorf("monthly report: %w", err)
	}
	return Load(ctx, st, p)
}

// Open reads a stored review for rendering without holding its project
// rows in memory: they, and the on-time reporting rows, are read from st in
// board order as a renderer writes them ([rollup.EachProject]), so a board
// of 100,000 projects renders in bounded memory. st must stay open until
// the review is rendered. Errors are those of [Load].
func Open(ctx context.Context, st *chstore.Store, p schema.ReviewPeriod) (*Review, error) {
	o, err := rollup.LoadOutline(ctx, st, p)
	if err != nil {
		return nil, fmt.Errorf("%s report: %w", p.Kind, err)
	}
	r := arrange(&o.Board)
	r.st, r.outline = st, o
	if r.Arrived, err = rollup.ArrivedAfter(ctx, st, p, o.Cutoff); err != nil {
		return nil, fmt.Errorf("%s report: %w", p.Kind, err)
	}
	return r, nil
}

// New orders a board computed or loaded by the rollup for rendering. It
// does not change b.
func New(b *rollup.Board) *Review {
	r := arrange(b)
	r.Projects = append([]rollup.ProjectRow(nil), b.Projects...)
	sort.SliceStable(r.Projects, func(i, j int) bool { return boardLess(r.Projects[i], r.Projects[j]) })
	return r
}

// arrange orders everything of a board but its projects.
func arrange(b *rollup.Board) *Review {
	r := &Review{Period: b.Period, ComputedAt: b.ComputedAt, RunID: b.RunID, Cutoff: b.Cutoff, Overall: b.Total()}
	for _, d := range rollup.Dimensions()[1:] {
		var g []rollup.TotalRow
		for _, t := range b.Totals {
			if t.Dimension == d {
				g = append(g, t)
			}
		}
		sort.SliceStable(g, func(i, j int) bool {
			a, c := g[i], g[j]
			if (a.Rank == 0) != (c.Rank == 0) {
				return a.Rank != 0
			}
			if a.Rank != c.Rank {
				return a.Rank < c.Rank
			}
			return a.Key < c.Key
		})
		r.Groups = append(r.Groups, g...)
	}
	r.Milestones = append([]rollup.MilestoneAlert(nil), b.Milestones...)
	sort.SliceStable(r.Milestones, func(i, j int) bool {
		a, c := r.Milestones[i], r.Milestones[j]
		if ra, rc := alertRank(a.Alert), alertRank(c.Alert); ra != rc {
			return ra < rc
		}
		if a.Days != c.Days {
			if a.Alert == rollup.AlertDue {
				return a.Days < c.Days
			}
			return a.Days > c.Days
		}
		if a.ProjectID != c.ProjectID {
			return a.ProjectID < c.ProjectID
		}
		return a.MilestoneID < c.MilestoneID
	})
	r.Reporting = append([]rollup.ReportingRow(nil), b.Reporting...)
	sort.SliceStable(r.Reporting, func(i, j int) bool {
		a, c := r.Reporting[i], r.Reporting[j]
		if ra, rc := reportingRank(a.Status), reportingRank(c.Status); ra != rc {
			return ra < rc
		}
		if a.DepartmentID != c.DepartmentID {
			return a.DepartmentID < c.DepartmentID
		}
		return a.ProjectID < c.ProjectID
	})
	r.Trend = append([]rollup.MonthAmount(nil), b.Trend...)
	return r
}

// boardLess is the board order: by status (red first), then by gap
// ascending (unrated last), then by project id.
func boardLess(a, c rollup.ProjectRow) bool {
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
}

func alertRank(a rollup.Alert) int {
	switch a {
	case rollup.AlertOverdue:
		return 0
	case rollup.AlertDue:
		return 1
	case rollup.AlertSlipped:
		return 2
	}
	return 3
}

func reportingRank(s rollup.ReportingStatus) int {
	switch s {
	case rollup.ReportingMissing:
		return 0
	case rollup.ReportingLate:
		return 1
	case rollup.ReportingOnTime:
		return 2
	}
	return 3
}

// Name is the review's name in a title: 周分析, 旬调度 or 月度调度.
func (r *Review) Name() string {
	switch r.Period.Kind {
	case schema.ReviewWeekly:
		return "周分析"
	case schema.ReviewDekad:
		return "旬调度"
	}
	return "月度调度"
}

// Title is the review's title, e.g. 2025年9月 重点项目投资月度调度（红黄绿榜）,
// 2025年9月中旬 重点项目投资旬调度（红黄绿榜）.
func (r *Review) Title() string {
	return fmt.Sprintf("%s 重点项目投资%s（红黄绿榜）", r.Period.Label(), r.Name())
}

// periodWord names the review period in a column or sentence: 本周, 本旬 or
// 本月.
func (r *Review) periodWord() string {
	switch r.Period.Kind {
	case schema.ReviewWeekly:
		return "本周"
	case schema.ReviewDekad:
		return "本旬"
	}
	return "本月"
}

// DueMonth is the month whose report was due at the review: the month of
// the reporting rows, else the month the period ends in.
func (r *Review) DueMonth() schema.Period {
	for _, x := range r.Reporting {
		if x.ReportPeriod.Year != 0 {
			return x.ReportPeriod
		}
	}
	if r.outline != nil && r.outline.DueMonth.Year != 0 {
		return r.outline.DueMonth
	}
	return r.Period.Month()
}

// Deadline is the reporting deadline of the month due (zero when the
// review has no reporting rows).
func (r *Review) Deadline() time.Time {
	for _, x := range r.Reporting {
		if !x.Deadline.IsZero() {
			return x.Deadline
		}
	}
	if r.outline != nil {
		return r.outline.Deadline
	}
	return time.Time{}
}

// WithStatus returns the projects of a status, in board order (none for a
// review read by [Open]).
func (r *Review) WithStatus(s rating.Status) []rollup.ProjectRow {
	return where(r.Projects, func(x rollup.ProjectRow) bool { return x.Status == s })
}

// changes are the changes the status-change list shows, in its order.
var changes = []rollup.Change{rollup.ChangeNewlyRed, rollup.ChangeWorse, rollup.ChangeBetter, rollup.ChangeRecovered}

// Changed returns the projects whose status changed since the previous
// review of the same kind: newly red (新晋红榜), worse, better, recovered
// (摘牌); within a change in board order (none for a review read by
// [Open]).
func (r *Review) Changed() []rollup.ProjectRow {
	var out []rollup.ProjectRow
	for _, c := range changes {
		for _, p := range r.Projects {
			if p.Change == c {
				out = append(out, p)
			}
		}
	}
	return out
}

// eachProject calls fn with the projects sel selects, in the order of
// [rollup.EachProject]: from memory, or from ClickHouse for a review read
// by Open.
func (r *Review) eachProject(ctx context.Context, sel rollup.ProjectSelection, fn func(rollup.ProjectRow) error) error {
	if r.outline != nil {
		return rollup.EachProject(ctx, r.st, r.Period, sel, fn)
	}
	if sel.Changed {
		for _, p := range r.Changed() {
			if sel.Status == "" || p.Status == sel.Status {
				if err := fn(p); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, p := range r.Projects {
		if sel.Status == "" || p.Status == sel.Status {
			if err := fn(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// eachReporting calls fn with every reporting row: missing, late, on time;
// within a status by department, then project.
func (r *Review) eachReporting(ctx context.Context, fn func(rollup.ReportingRow) error) error {
	for _, x := range r.Reporting {
		if err := fn(x); err != nil {
			return err
		}
	}
	if r.outline == nil {
		return nil
	}
	return rollup.EachReporting(ctx, r.st, r.Period, rollup.ReportingOnTime, fn)
}

// ProjectCount is the number of projects on the board.
func (r *Review) ProjectCount() int {
	if r.outline != nil {
		return r.outline.Projects
	}
	return len(r.Projects)
}

// CountStatus counts the projects of a status.
func (r *Review) CountStatus(s rating.Status) int {
	if r.outline != nil {
		return r.outline.ByStatus[s]
	}
	n := 0
	for _, p := range r.Projects {
		if p.Status == s {
			n++
		}
	}
	return n
}

// CountChange counts the projects with a change.
func (r *Review) CountChange(c rollup.Change) int {
	if r.outline != nil {
		return r.outline.ByChange[c]
	}
	n := 0
	for _, p := range r.Projects {
		if p.Change == c {
			n++
		}
	}
	return n
}

// countChanged counts the projects of the status-change list.
func (r *Review) countChanged() int {
	n := 0
	for _, c := range changes {
		n += r.CountChange(c)
	}
	return n
}

// ratedYTD sums 本年累计 over the rated projects.
func (r *Review) ratedYTD() decimal.Decimal {
	if r.outline != nil {
		return r.outline.RatedYTDWan
	}
	sum := decimal.Zero
	for _, p := range r.Projects {
		if p.Status != rating.Unrated {
			sum = sum.Add(p.YTDCompletedWan)
		}
	}
	return sum
}

// Ranking returns the totals of a dimension in the order the meeting reads.
func (r *Review) Ranking(d rollup.Dimension) []rollup.TotalRow {
	return where(r.Groups, func(x rollup.TotalRow) bool { return x.Dimension == d })
}

// Alerts returns the milestone alerts of a kind.
func (r *Review) Alerts(a rollup.Alert) []rollup.MilestoneAlert {
	return where(r.Milestones, func(x rollup.MilestoneAlert) bool { return x.Alert == a })
}

// ReportingWith returns the reporting rows of a status, by department then
// project.
func (r *Review) ReportingWith(s rollup.ReportingStatus) []rollup.ReportingRow {
	return where(r.Reporting, func(x rollup.ReportingRow) bool { return x.Status == s })
}

// DepartmentGroup is the projects of one department with a reporting
// status.
type DepartmentGroup struct {
	DepartmentID, DepartmentName string
	Rows                         []rollup.ReportingRow
}

// MissingByDepartment groups the missing reports (未报送) by department,
// the department with the most first, then by department id.
func (r *Review) MissingByDepartment() []DepartmentGroup {
	var out []DepartmentGroup
	index := map[string]int{}
	for _, x := range r.ReportingWith(rollup.ReportingMissing) {
		i, ok := index[x.DepartmentID]
		if !ok {
			i = len(out)
			index[x.DepartmentID] = i
			out = append(out, DepartmentGroup{DepartmentID: x.DepartmentID, DepartmentName: x.DepartmentName})
		}
		out[i].Rows = append(out[i].Rows, x)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if len(out[i].Rows) != len(out[j].Rows) {
			return len(out[i].Rows) > len(out[j].Rows)
		}
		return out[i].DepartmentID < out[j].DepartmentID
	})
	return out
}

// Render writes the review in a format of [Formats]. XLSX is binary. See
// [Review.RenderContext].
func (r *Review) Render(w io.Writer, format string) error {
	return r.RenderContext(context.Background(), w, format)
}

// RenderContext writes the review in a format of [Formats]; ctx bounds the
// reading of the project rows of a review read by [Open]. CSV and XLSX are
// written row by row (XLSX through excelize's stream writer), so that with
// Open a board of any size renders in bounded memory; the HTML page of a
// board of more than [LargeBoard] projects lists the red and yellow
// projects and counts the others (see [LargeBoard]).
func (r *Review) RenderContext(ctx context.Context, w io.Writer, format string) error {
	var err error
	switch format {
	case FormatTable:
		err = r.renderTable(ctx, w)
	case FormatCSV:
		err = r.renderCSV(ctx, w)
	case FormatMarkdown:
		err = r.renderMarkdown(ctx, w)
	case FormatHTML:
		err = r.renderHTML(ctx, w, nil)
	case FormatXLSX:
		err = r.renderXLSX(ctx, w)
	default:
		return fmt.Errorf("%w %q; expected one of %s", ErrUnknownFormat, format, strings.Join(Formats(), ", "))
	}
	if err != nil {
		return fmt.Errorf("render the %s %s report of %s: %w", format, r.Period.Kind, r.Period.Key(), err)
	}
	return nil
}

// FileName is an ASCII file name for the review in a format, e.g.
// kpp-monthly-2025-09.xlsx.
func (r *Review) FileName(format string) string {
	return fmt.Sprintf("kpp-%s-%s.%s", r.Period.Kind, r.Period.Key(), extension(format))
}

// TitleFileName is the file name with the Chinese title, e.g.
// 2025年9月 重点项目投资月度调度（红黄绿榜）.xlsx.
func (r *Review) TitleFileName(format string) string {
	return r.Title() + "." + extension(format)
}

// ContentDisposition is the Content-Disposition header of a download: an
// ASCII filename and the Chinese title as an RFC 5987 filename*.
func (r *Review) ContentDisposition(format string) string {
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, r.FileName(format), rfc5987(r.TitleFileName(format)))
}

// rfc5987 percent-encodes s as an RFC 5987 value (attr-char kept).
func rfc5987(s string) string {
	var sb strings.Builder
	for _, b := range []byte(s) {
		if b < 0x80 && (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0) {
			sb.WriteByte(b)
			continue
		}
		sb.WriteString(fmt.Sprintf("%%%02X", b))
	}
	return sb.String()
}

// Summary is the overall line, e.g. 共9个项目；2025年9月月报已报送7个（其中迟报1个）、
// 未报送2个；绿2个、黄2个、红4个、未评级1个；较上次月度调度新晋红榜1个、摘牌1个。…
func (r *Review) Summary() string {
	o := r.Overall
	due := r.DueMonth()
	ratedYTD := r.ratedYTD()
	var sb strings.Builder
	fmt.Fprintf(&sb, "共%d个项目；%d年%d月月报已报送%d个", o.Projects, due.Year, int(due.Month), o.Reported)
	if o.Late > 0 {
		fmt.Fprintf(&sb, "（其中迟报%d个）", o.Late)
	}
	fmt.Fprintf(&sb, "、未报送%d个；绿%d个、黄%d个、红%d个、未评级%d个", o.Missing, o.Green, o.Yellow, o.Red, o.Unrated)
	if r.hasPrevious() {
		fmt.Fprintf(&sb, "；较上次%s新晋红榜%d个、摘牌%d个", r.Name(), r.CountChange(rollup.ChangeNewlyRed), r.CountChange(rollup.ChangeRecovered))
	}
	fmt.Fprintf(&sb, "。全部项目%s完成%s亿元，本年累计完成%s亿元", r.periodWord(), yi(o.PeriodCompletedWan), yi(o.YTDCompletedWan))
	if o.CompletionPct == nil {
		fmt.Fprintf(&sb, "；无评级项目，序时进度%s%%。", o.TimeProgressPct.StringFixed(2))
		return sb.String()
	}
	gap := decimal.Zero
	if o.GapPP != nil {
		gap = *o.GapPP
	}
	fmt.Fprintf(&sb, "；评级项目本年累计完成%s亿元，年度计划%s亿元，投资完成率%s%%，序时进度%s%%，差距%s个百分点。",
		yi(ratedYTD), yi(o.AnnualPlanWan), o.CompletionPct.StringFixed(2), o.TimeProgressPct.StringFixed(2), signed(gap))
	return sb.String()
}

// hasPrevious reports whether any project was reviewed by the previous
// review of the same kind.
func (r *Review) hasPrevious() bool {
	if r.outline != nil {
		for c, n := range r.outline.ByChange {
			if c != rollup.ChangeFirst && c != "" && n > 0 {
				return true
			}
		}
		return false
	}
	for _, p := range r.Projects {
		if p.Change != rollup.ChangeFirst && p.Change != "" {
			return true
		}
	}
	return false
}

// TimeProgressNote explains the time progress, e.g. 序时进度为9/12 or
// 序时进度为271/365（截至9月28日）.
func (r *Review) TimeProgressNote() string {
	num, den := r.Period.TimeProgress()
	if r.Period.Kind == schema.ReviewMonthly {
		return fmt.Sprintf("序时进度为%d/%d", num, den)
	}
	last := r.Period.LastDay()
	return fmt.Sprintf("序时进度为%d/%d（截至%d月%d日）", num, den, int(last.Month()), last.Day())
}

// Footer says how time progress is computed, when the review was computed
// and how to compute it again.
func (r *Review) Footer() string {
	return r.footerNote() + "。重新计算：" + r.RecomputeCommand()
}

// footerNote is the footer without the command: how time progress is
// computed and when the review was computed.
func (r *Review) footerNote() string {
	s := r.TimeProgressNote() + "；"
	if !r.Cutoff.IsZero() {
		s += "数据截至" + r.Cutoff.In(schema.Location()).Format("2006-01-02 15:04") + "；"
	}
	s += "计算时间" + r.ComputedAt.In(schema.Location()).Format("2006-01-02 15:04")
	if r.RunID != "" {
		s += "（运行编号" + r.RunID + "）"
	}
	return s
}

// StaleNote says, when reports of the review's months arrived after it was
// computed, how many and that a run again takes them, e.g.
// 本榜计算后收到3条迟报、1条更正，未计入本榜；重新计算后计入。"" when none did.
func (r *Review) StaleNote() string {
	if r.Arrived.Total() == 0 {
		return ""
	}
	return fmt.Sprintf("本榜计算后收到%d条迟报、%d条更正，未计入本榜；重新计算后计入。", r.Arrived.Late, r.Arrived.Corrections)
}

// RecomputeCommand is the command that computes the review again, e.g.
// kpp rollup monthly --period 2025-09.
func (r *Review) RecomputeCommand() string {
	return fmt.Sprintf("kpp rollup %s --period %s", r.Period.Kind, r.Period.Key())
}

// reportPath is the path of a review below the handler's root, without an
// extension: reports/monthly/2025-09.
func reportPath(p schema.ReviewPeriod) string {
	return "reports/" + url.PathEscape(string(p.Kind)) + "/" + url.PathEscape(p.Key())
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

// where returns the elements of xs that keep accepts, in order.
func where[T any](xs []T, keep func(T) bool) []T {
	var out []T
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}
