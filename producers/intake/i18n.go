package intake

import (
	"net/http"
	"net/url"
)

// The languages of the web pages: Chinese first, English on request
// (?lang=en, remembered in the kpp_lang cookie).
const (
	langZh = "zh"
	langEn = "en"
)

// words are the texts of the web pages, Chinese and English.
var words = map[string][2]string{
	"app":                {"重点项目进度填报", "Key-project progress reporting"},
	"switch":             {"English", "中文"},
	"projects":           {"本部门项目", "Our projects"},
	"upload":             {"上传表格", "Upload a sheet"},
	"logout":             {"退出", "Sign out"},
	"login":              {"登录", "Sign in"},
	"login.intro":        {"请输入本部门的填报令牌。令牌由系统管理员发放（kpp dept add），请妥善保管，勿转给他人。", "Enter your department's reporting token. The operator issues it (kpp dept add); keep it to yourself."},
	"token":              {"部门令牌", "Department token"},
	"login.bad":          {"令牌无效（未知、已更换或输入有误）。请核对后重试，或向管理员索取本部门当前的令牌。", "The token was not accepted (unknown, rotated or mistyped). Check it, or ask the operator for your department's current token."},
	"login.missing":      {"请输入令牌。", "Enter the token."},
	"month":              {"报告期", "Month"},
	"show":               {"查看", "Show"},
	"project":            {"项目", "Project"},
	"project_id":         {"项目编号", "Project id"},
	"status":             {"填报状态", "Status"},
	"not_reported":       {"未报送", "Not reported"},
	"reported":           {"已报送", "Reported"},
	"revision":           {"版本", "Revision"},
	"received":           {"收到时间", "Received"},
	"actions":            {"操作", "Actions"},
	"fill":               {"填报", "Report"},
	"correct":            {"更正", "Correct"},
	"correct.month":      {"更正本月", "Correct this month"},
	"history":            {"历史", "History"},
	"no_projects":        {"本部门暂无已登记的项目。请点击“登记新项目”。", "No project is registered to your department yet. Use “Register a project”."},
	"reg.new":            {"登记新项目", "Register a project"},
	"reg.edit":           {"修改登记", "Edit registration"},
	"reg.title.new":      {"登记新项目", "Register a new project"},
	"reg.title.edit":     {"修改项目登记", "Change the project's registration"},
	"reg.intro":          {"带 * 的为必填项。金额单位为万元。提交后由系统校验并保存；新项目在数秒内出现在项目列表中。", "Fields marked * are required. Amounts are in 万元. New projects appear on the project list within seconds of being stored."},
	"reg.current":        {"当前为第%d版登记（%s 收到）。提交修改将保存为第%d版，原版本保留。年度计划和节点按本表整体替换：清空一行即删除该行。", "The current registration is revision %d (received %s). Submitting a change stores revision %d; the old one is kept. Annual plans and milestones are replaced by this form as a whole: clearing a row removes it."},
	"reg.name_zh":        {"项目名称 *", "Name (Chinese) *"},
	"reg.name_en":        {"英文名称", "Name (English)"},
	"reg.region":         {"所在地区 *", "Region *"},
	"reg.category":       {"项目类别 *", "Category *"},
	"reg.stage":          {"项目阶段 *", "Stage *"},
	"reg.dept_name":      {"填报单位名称", "Reporting department's name"},
	"reg.unit":           {"责任单位", "Responsible unit"},
	"reg.person":         {"责任人", "Responsible person"},
	"reg.lead":           {"分管领导", "Leader in charge"},
	"reg.total":          {"总投资（万元）*", "Total investment (万元) *"},
	"reg.id":             {"项目编号 *", "Project id *"},
	"reg.id.hint":        {"小写字母、数字、- 和 _，如 qingyuan-g235-bridge；登记后不能更改。", "Lower-case letters, digits, - and _, e.g. qingyuan-g235-bridge; it cannot change later."},
	"reg.plans":          {"年度计划投资", "Annual plans"},
	"reg.plans.hint":     {"每年一行。分月计划选填：填写任一月份后，未填的月份按0计。", "One row per year. Monthly phasing is optional: once any month is filled, empty months count as 0."},
	"reg.year":           {"年份", "Year"},
	"reg.amount":         {"年度计划（万元）", "Plan (万元)"},
	"reg.monthly":        {"分月计划（万元，选填）", "By month (万元, optional)"},
	"reg.month":          {"%d月", "M%d"},
	"reg.milestones":     {"计划节点", "Planned milestones"},
	"reg.ms.hint":        {"节点编号规则同项目编号，如 main-works-start；已报送过进展的节点请勿改编号。", "Milestone ids follow the project id's rule, e.g. main-works-start; do not change the id of a milestone with reported progress."},
	"reg.ms.id":          {"节点编号", "Milestone id"},
	"reg.ms.title":       {"节点名称", "Title"},
	"reg.ms.planned":     {"计划完成日期", "Planned date"},
	"reg.choose":         {"（请选择）", "(choose)"},
	"kind.project":       {"项目登记", "Project registration"},
	"keyreused.register": {"此表单已提交过（回执 %s），不能以不同内容再次提交。如需再修改，请从项目列表重新打开“修改登记”。", "This form was already submitted (receipt %s) and cannot be sent again with other values. To change the registration again, open “Edit registration” from the project list."},
	"template":           {"下载本月Excel模板", "Download this month's Excel template"},
	"form.title":         {"月度投资完成情况", "Monthly investment report"},
	"form.correction":    {"本月已报送第%d版（%s 收到）。提交将作为第%d版更正，原版本保留在历史中，须填写更正原因。", "This month was reported as revision %d (received %s). Submitting makes revision %d, a correction; the old one stays in the history. A correction reason is required."},
	"form.errors":        {"提交未成功，请按提示修改后重新提交：", "Not submitted. Please fix the following and submit again:"},
	"form.fielderrors":   {"请修改下方标红的栏目。", "Please fix the fields marked below."},
	"month_completed":    {"本月完成投资（万元）", "Completed this month (万元)"},
	"ytd_completed":      {"本年累计完成（万元）", "Year to date (万元)"},
	"since_start":        {"自开工累计完成（万元）", "Since start (万元)"},
	"physical":           {"形象进度", "Physical progress"},
	"problems":           {"存在问题", "Problems"},
	"next_steps":         {"下步计划", "Next steps"},
	"reason":             {"更正原因/说明", "Correction reason / explanation"},
	"reported_by":        {"填报人", "Reported by"},
	"prev_ytd":           {"上月本年累计：%s 万元", "Last month's year to date: %s 万元"},
	"annual_plan":        {"年度计划投资：%s 万元", "Annual plan: %s 万元"},
	"milestones":         {"节点进展（选填）", "Milestones (optional)"},
	"ms.title":           {"节点", "Milestone"},
	"ms.planned":         {"计划日期", "Planned"},
	"ms.status":          {"状态", "Status"},
	"ms.forecast":        {"预计日期", "Forecast"},
	"ms.actual":          {"实际完成日期", "Actual date"},
	"ms.percent":         {"完成百分比", "Percent complete"},
	"ms.note":            {"备注", "Note"},
	"ms.none":            {"（不填报）", "(no update)"},
	"submit":             {"提交", "Submit"},
	"cancel":             {"返回", "Back"},
	"receipt":            {"提交回执", "Receipt"},
	"receipt.ok":         {"已成功提交并保存。", "Submitted and stored."},
	"receipt.replay":     {"该表单此前已提交过，以下为当时的回执，未重复保存。", "This form was submitted before; here is its receipt. Nothing was stored twice."},
	"receipt.id":         {"回执编号", "Receipt id"},
	"receipt.time":       {"提交时间", "Submitted at"},
	"receipt.dept":       {"报送部门", "Department"},
	"receipt.file":       {"文件", "File"},
	"receipt.counts":     {"新保存 %d 条，已存在 %d 条", "%d stored, %d already stored"},
	"kind":               {"类型", "Kind"},
	"kind.investment":    {"投资月报", "Investment report"},
	"kind.milestone":     {"节点进展", "Milestone update"},
	"seq":                {"存储序号", "Stream sequence"},
	"state":              {"结果", "Result"},
	"state.new":          {"已保存", "Stored"},
	"state.dup":          {"此前已保存", "Already stored"},
	"notices":            {"提示", "Notices"},
	"line":               {"行", "Line"},
	"history.title":      {"填报历史", "Report history"},
	"history.intro":      {"按收到时间从新到旧排列（历史导入的报告按其报送时间，并标注“历史导入”）。每次更正都是新版本，旧版本保留。", "Newest first, by time received (an imported report by its declared submission time, marked as imported). Each correction is a new revision; the older ones are kept."},
	"imported":           {"历史导入", "Imported history"},
	"history.none":       {"该项目尚无填报记录。", "No report for this project yet."},
	"current":            {"当前版本", "Current"},
	"superseded":         {"已被更正", "Superseded"},
	"source":             {"来源", "Source"},
	"regup.title":        {"上传项目登记表", "Upload the registration sheet"},
	"regup.intro":        {"下载本部门的项目登记表（已预填当前登记的项目、年度计划和节点），修改或新增后上传（.xlsx，最大 %s，每个工作表最多 %d 行）。先检查全部项目：有任何错误则一个也不登记，并按单元格列出每处错误；全部正确才一次登记。未修改的项目不产生新版本。", "Download your department's registration sheet (pre-filled with the current projects, annual plans and milestones), change or add projects and upload it (.xlsx, at most %s and %d rows per sheet). Every project is checked first: with any error nothing is registered and every error is listed by cell; otherwise all are registered at once. Unchanged projects get no new revision."},
	"regup.template":     {"下载项目登记表", "Download the registration sheet"},
	"regup.disabled":     {"本服务未启用项目登记表上传。", "Registration sheet upload is not enabled on this server."},
	"regup.link":         {"用Excel登记表批量登记或修改", "Register or change several projects with the Excel sheet"},
	"upload.title":       {"上传Excel表格", "Upload an Excel sheet"},
	"upload.intro":       {"下载本部门模板，填写后上传（.xlsx 或 .csv，最大 %s，最多 %d 行）。先逐行检查：有任何错误则全部不提交，并列出每处错误；全部正确才一次提交。", "Download your department's template, fill it in and upload it (.xlsx or .csv, at most %s and %d rows). Every row is checked first: with any error nothing is submitted and every error is listed; otherwise all rows are submitted at once."},
	"upload.file":        {"选择文件", "File"},
	"upload.disabled":    {"本服务未启用表格上传。", "Sheet upload is not enabled on this server."},
	"upload.errors":      {"文件未提交：发现 %d 处问题，请修改后重新上传。", "Nothing was submitted: %d problems. Fix them and upload again."},
	"sheet":              {"文件/工作表", "File/sheet"},
	"column":             {"列/栏目", "Column/field"},
	"value":              {"填写值", "Value"},
	"problem":            {"问题", "Problem"},
	"error.title":        {"出错了", "Something went wrong"},
	"notfound":           {"页面不存在。", "There is no such page."},
	"project.notfound":   {"项目 %s 未登记，或尚未生效。", "Project %s is not registered (or not yet accepted)."},
	"project.forbid":     {"项目 %s 属于其他部门，无权查看或填报。", "Project %s belongs to another department; you cannot see or report for it."},
	"receipt.notfound":   {"本部门没有该回执。", "Your department has no such receipt."},
	"csrf":               {"页面已过期或来源不明，请返回后重新提交。", "The page has expired or did not come from this site; go back, reload and submit again."},
	"ratelimited":        {"请求过于频繁，请 %s 秒后再试。", "Too many requests; try again in %s seconds."},
	"unavailable":        {"数据服务暂不可用，请稍后重试；已提交的数据不受影响。", "The data service is unavailable; try again shortly. What was submitted before is safe."},
	"toolarge":           {"提交内容超过上限 %s。", "The submission is larger than the limit of %s."},
	"keyreused":          {"此表单已提交过（回执 %s），不能以不同内容再次提交。如需修改，请在历史页面点击“更正本月”。", "This form was already submitted (receipt %s) and cannot be sent again with other values. To change it, use “Correct this month” on the history page."},
	"notemplate":         {"本服务未配置Excel模板。", "The Excel template is not configured on this server."},
	"back.projects":      {"返回项目列表", "Back to the projects"},
}

// tr returns the text of key in lang.
func tr(lang, key string) string {
	w, ok := words[key]
	if !ok {
		return key
	}
	if lang == langEn {
		return w[1]
	}
	return w[0]
}

// pick returns the Chinese or English message.
func pick(lang, zh, en string) string {
	if lang == langEn && en != "" {
		return en
	}
	if zh == "" {
		return en
	}
	return zh
}

// language picks the page language: ?lang= (remembered in a cookie), else
// the cookie, else Chinese.
func (s *Server) language(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == langEn || l == langZh {
		s.setCookie(w, r, LangCookie, l, 365*24*3600, false, http.SameSiteLaxMode)
		return l
	}
	if c, err := r.Cookie(LangCookie); err == nil && (c.Value == langEn || c.Value == langZh) {
		return c.Value
	}
	return langZh
}

// switchURL is the current page in the other language.
func switchURL(r *http.Request, lang string) string {
	q := url.Values{}
	for k, v := range r.URL.Query() {
		q[k] = v
	}
	if lang == langEn {
		q.Set("lang", langZh)
	} else {
		q.Set("lang", langEn)
	}
	return r.URL.Path + "?" + q.Encode()
}
