package schema

// Owners maps each registered project id to the department that owns it.
// Producers and consumers both check reports against it with [CheckOwner],
// so the two ends reject the same messages with the same words.
type Owners map[string]string

// CheckOwner returns a *ValidationError when the event's project is not
// registered, or is registered to another department. A project
// registration is checked only when it moves a project already owned by
// another department. Registering a new project is always allowed.
func (o Owners) CheckOwner(e Event) error {
	owner, ok := o[e.Project()]
	var l errs
	switch {
	case e.Kind() == KindProject:
		if ok && owner != e.Department() {
			l.add("department_id", e.Department(), RuleNotOwner, "该项目已登记在 "+owner+" 名下，不能由本部门重新登记",
				"project "+quote(e.Project())+" is registered to "+quote(owner)+"; only that department may change its registration")
		}
	case !ok:
		l.add("project_id", e.Project(), RuleUnknownProject, "项目未登记，请先登记项目或检查项目编号",
			quote(e.Project())+" is not a registered project; register it first or check the id")
	case owner != e.Department():
		l.add("department_id", e.Department(), RuleNotOwner, "无权为该项目报送：项目属于 "+owner,
			"department "+quote(e.Department())+" may not report for project "+quote(e.Project())+", which belongs to "+quote(owner))
	}
	return l.err()
}

// Register records the owner of a project registration event.
func (o Owners) Register(p *Project) { o[p.ProjectID] = p.DepartmentID }
