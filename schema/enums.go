package schema

import "strings"

// Category is a project's sector, as in the Lishui plan's groups.
type Category string

// The categories and their Chinese labels.
const (
	CategoryTransport   Category = "transport"   // 综合交通
	CategoryEnergy      Category = "energy"      // 能源
	CategoryWater       Category = "water"       // 水利
	CategoryIndustry    Category = "industry"    // 产业
	CategoryPublic      Category = "public"      // 公共设施和社会民生
	CategoryUrban       Category = "urban"       // 城市有机更新
	CategoryEnvironment Category = "environment" // 生态环境
)

// Stage is where a project stands: OC4IDS preparation, implementation,
// completion.
type Stage string

// The stages and their Chinese labels.
const (
	StagePreparation  Stage = "preparation"   // 前期
	StagePlannedStart Stage = "planned_start" // 计划开工
	StageConstruction Stage = "construction"  // 在建
	StageCompleted    Stage = "completed"     // 建成/竣工
)

// MilestoneStatus is a milestone's state, after OC4IDS's milestoneStatus
// codelist with in_progress added.
type MilestoneStatus string

// The milestone statuses.
const (
	MilestoneScheduled  MilestoneStatus = "scheduled"   // 未开始
	MilestoneInProgress MilestoneStatus = "in_progress" // 推进中
	MilestoneMet        MilestoneStatus = "met"         // 已完成
	MilestoneNotMet     MilestoneStatus = "not_met"     // 未完成（已放弃或取消）
)

type label struct{ code, zh string }

var categoryLabels = []label{
	{"transport", "交通"}, {"energy", "能源"}, {"water", "水利"}, {"industry", "产业"},
	{"public", "社会民生"}, {"urban", "城市更新"}, {"environment", "生态环境"},
}

var stageLabels = []label{
	{"preparation", "前期"}, {"planned_start", "计划开工"}, {"construction", "在建"}, {"completed", "建成"},
}

var milestoneLabels = []label{
	{"scheduled", "未开始"}, {"in_progress", "推进中"}, {"met", "已完成"}, {"not_met", "未完成"},
}

// Label is the Chinese label, e.g. 交通.
func (c Category) Label() string { return labelOf(categoryLabels, string(c)) }

// Label is the Chinese label, e.g. 在建.
func (s Stage) Label() string { return labelOf(stageLabels, string(s)) }

// Label is the Chinese label, e.g. 已完成.
func (s MilestoneStatus) Label() string { return labelOf(milestoneLabels, string(s)) }

// Categories returns every category code.
func Categories() []Category { return codes[Category](categoryLabels) }

// Stages returns every stage code.
func Stages() []Stage { return codes[Stage](stageLabels) }

// MilestoneStatuses returns every milestone status code.
func MilestoneStatuses() []MilestoneStatus { return codes[MilestoneStatus](milestoneLabels) }

// ParseCategory accepts a code ("transport") or its Chinese label ("交通").
func ParseCategory(s string) (Category, bool) {
	c, ok := parseLabel(categoryLabels, s, map[string]string{"综合交通": "transport", "公共设施": "public", "城市有机更新": "urban"})
	return Category(c), ok
}

// ParseStage accepts a code ("construction") or a Chinese label ("在建", "竣工").
func ParseStage(s string) (Stage, bool) {
	c, ok := parseLabel(stageLabels, s, map[string]string{"竣工": "completed", "已建成": "completed"})
	return Stage(c), ok
}

// ParseMilestoneStatus accepts a code ("met") or a Chinese label ("已完成").
func ParseMilestoneStatus(s string) (MilestoneStatus, bool) {
	c, ok := parseLabel(milestoneLabels, s, map[string]string{"notMet": "not_met", "完成": "met", "进行中": "in_progress"})
	return MilestoneStatus(c), ok
}

func labelOf(ls []label, code string) string {
	for _, l := range ls {
		if l.code == code {
			return l.zh
		}
	}
	return code
}

func codes[T ~string](ls []label) []T {
	out := make([]T, len(ls))
	for i, l := range ls {
		out[i] = T(l.code)
	}
	return out
}

func parseLabel(ls []label, s string, aliases map[string]string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, l := range ls {
		if s == l.code || s == l.zh {
			return l.code, true
		}
	}
	if c, ok := aliases[s]; ok {
		return c, true
	}
	return s, false
}

func allowed(ls []label) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.code + " (" + l.zh + ")"
	}
	return strings.Join(parts, ", ")
}

func checkEnum(l *errs, field, value string, ls []label) {
	if value == "" {
		l.required(field)
		return
	}
	for _, lb := range ls {
		if value == lb.code {
			return
		}
	}
	l.add(field, value, RuleEnum, "不是允许的取值，应为："+allowed(ls),
		quote(value)+" is not allowed; expected one of "+allowed(ls))
}
