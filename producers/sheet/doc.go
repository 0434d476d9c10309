// Package sheet is the spreadsheet side of department intake: it makes the
// department's monthly report workbook ([Template], `kpp template xlsx`)
// and reads a filled-in workbook or CSV file back ([Read], [ReadUpload])
// into the same records producers/submit validates and publishes
// (submit.Input, then submit.Publisher.SubmitInputs). docs/sheets.md is the
// clerks' and operators' guide.
//
// # The template
//
// Sheet 月报: row 1 is the merged title (「庆元县交通运输局 2025年9月
// 重点项目月报」), row 2 names the department, period and unit, row 3 is
// the header ([TemplateColumns]) and the projects start at row 4, one row
// each with 项目编号, 项目名称 and 报告期 filled in (grey) and the figures
// empty. Amount columns are number cells in 万元 with data validation; the
// last two columns (年度计划投资, 上月本年累计) are for reference and are
// not read back. Sheet 说明 explains how to fill it in, in Chinese.
//
// # Reading
//
// The content decides the format, not the name: a zip archive holding an
// Office Open XML workbook is read as .xlsx, text as CSV; a name with
// another format's extension (a text file named .xlsx, a PNG, a .xls
// workbook, a .docx) is refused with a message that says what the file
// is and what to do. The sheet read is [Options.Sheet], else 月报, else the
// first visible sheet with a header row.
//
// The header row is found by its names within the first [HeaderSearchRows]
// rows, so title rows, merged or not, and lines such as 填报单位 or
// 单位：万元 may come first. Header names are those `kpp submit` accepts in
// CSV (submit.Columns: 项目编号, 报告期/月份, 本月完成投资, 本年累计完成,
// 自开工累计完成, 形象进度, 存在问题, 下步计划, 更正原因, 填报人, 部门编号,
// 版本, 填报时间 …, or the English field names), spaces and line breaks
// inside them aside, plus columns that are ignored (序号, 项目名称,
// 年度计划投资, 上月本年累计 …). Any other column is refused, so that
// nothing is silently dropped. A money column's header may name its unit:
// 万元 (the default), 亿元 (×10000), 千元 (×0.1) or 元 (÷10000), converted
// exactly to 万元; "单位：亿元" above the header sets the unit of the money
// columns whose header names none.
//
// Below the header, blank rows (anywhere, also trailing and formatted-only
// rows) are skipped, as are total rows (合计, 小计, 总计) and rows that name
// a project but have no figures (the template's rows the clerk left
// empty); the skipped rows are listed in [Upload.Notices]. A cell merged
// down a column counts for every row it covers.
//
// Cells are read as stored, not as displayed: a number cell formatted to
// two places keeps its four. Amounts may be numbers or text, with thousands
// separators ("1,234.5") and full-width digits and punctuation
// ("１２３４．５"); a number cell is rounded to Excel's 15 significant
// digits (a pasted formula result 1357.0245999999999 is 1357.0246). The
// period may be 2025-09, 2025/9, 2025.9, 2025年9月, 202509, a date
// (2025-09-30, 2025年9月30日) or a date cell; a number such as 2025.1 is
// refused as ambiguous. A CSV file is UTF-8 (a BOM is fine) or GBK, which
// is converted to UTF-8 with a notice; a cell starting with "=" is a
// formula there too.
//
// The department of every record is [Options.DepartmentID] (the signed-in
// department) unless the sheet has a department column; then each filled
// cell must equal the signed-in department. The records' source is "xlsx"
// or "csv"; their revision is 1 unless the sheet has a 版本 column (the
// intake numbers corrections: see docs/intake.md).
//
// # The registration workbook
//
// [ProjectsTemplate] writes a department's registration workbook
// (项目登记表): sheet 项目 with one row per project ([ProjectColumns]),
// 年度计划 with one row per project and year ([PlanColumns]), 节点 with one
// row per planned milestone ([MilestoneColumns]), keyed by the project id
// and pre-filled with the current registrations, and 说明. [ReadProjects]
// reads it back, within the same budgets, into one *schema.Project per row
// of 项目 (revision 0, for the intake to number), naming every problem by
// sheet and cell; [ProjectsUpload.Bases] holds each row's 登记版本, the
// revision it was downloaded at. docs/sheets.md describes the layout.
//
// # Problems
//
// Nothing is published from a file with a problem (submit's rule). Every
// problem names the file, the row (submit.Problem.Line) and the cell, by
// its header and Excel reference, in English and Chinese:
//
//	reports.xlsx:7: 本月完成投资（万元） (月报!D7): "=SUM(D5:D6)": D7 contains a formula =SUM(D5:D6); enter the value (copy the cells, then Paste Special → Values) (D7单元格是公式 =SUM(D5:D6)，请填写数值（复制后“选择性粘贴→数值”）)
//
// The reader validates each row with the event's own Validate (required
// cells, numbers, no negative amounts, year-to-date not below the month,
// a month that has not started) and names the cell; problems submit finds
// later (a project that is not registered or not the department's) carry
// the row, and [Upload.Locate] names their cell too. File problems — not a
// spreadsheet, no header row, an unknown column, more rows than
// [Options.MaxRows] (default 5000) — are in submit.Input.Problems.
//
// # Budgets
//
// A workbook is read as a stream within budgets, so that an upload costs
// bounded memory whatever it unzips to: [Options.MaxUnzippedBytes] (64 MiB,
// from the sizes the zip declares), [MaxOtherPartsBytes] for the parts held
// in memory, [Options.MaxCells] cells with a value and shared strings,
// [MaxColumns] columns, [MaxTextBytes] of cell text, and [Options.MaxRows]
// report rows. Worksheets and shared strings larger than 1 MiB are unzipped
// to temporary files. The first budget exceeded refuses the file (rule
// [RuleTooLarge] or [RuleTooManyRows]) and the rest is not read.
package sheet
