package rating

// Status is a project's rating. The values are the names of the
// dispatch_projects.status enum.
type Status string

// The statuses.
const (
	// Unrated is a project without an annual plan for the year.
	Unrated Status = "unrated"
	// Green is on or ahead of time progress.
	Green Status = "green"
	// Yellow is behind, within the yellow band.
	Yellow Status = "yellow"
	// Red is behind by more than the band, or has a milestone overdue too long.
	Red Status = "red"
)

// Statuses returns every status in board order: red, yellow, green, unrated.
func Statuses() []Status { return []Status{Red, Yellow, Green, Unrated} }

// Label is the Chinese label shown on the board: 红, 黄, 绿 or 未评级.
func (s Status) Label() string {
	switch s {
	case Red:
		return "红"
	case Yellow:
		return "黄"
	case Green:
		return "绿"
	case Unrated:
		return "未评级"
	}
	return string(s)
}

// Rank orders statuses on the board: red 0, yellow 1, green 2, unrated 3
// (anything else 4).
func (s Status) Rank() int {
	for i, t := range Statuses() {
		if s == t {
			return i
		}
	}
	return len(Statuses())
}

// Valid reports whether s is one of the four statuses.
func (s Status) Valid() bool { return s.Rank() < len(Statuses()) }
