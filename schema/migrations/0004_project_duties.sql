-- kpp schema, migration 4: who answers for a project, and what clerks said.
--
-- The register gains 责任单位 (responsible_unit), 责任人 (responsible_person)
-- and 分管领导 (lead_official); the stored reviews carry them beside each
-- project, with the 存在问题 (problems) and 下步计划 (next_steps) of the
-- report the review used, so a printed red or yellow list says who must act
-- and what they said. Existing rows get empty strings. Each ALTER runs only
-- while its "-- kpp:when" query finds the column missing, so the migration
-- can run again after it stopped half-way.

-- kpp:when SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'project_registrations' AND name = 'responsible_unit'
ALTER TABLE project_registrations ADD COLUMN responsible_unit String COMMENT 'unit that carries the project out (责任单位)';

-- kpp:when SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'project_registrations' AND name = 'responsible_person'
ALTER TABLE project_registrations ADD COLUMN responsible_person String COMMENT 'person answerable for the project (责任人)';

-- kpp:when SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'project_registrations' AND name = 'lead_official'
ALTER TABLE project_registrations ADD COLUMN lead_official String COMMENT 'leader in charge (分管领导)';

-- The projects view names its columns: it is built again with the new ones.
-- kpp:when SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'projects' AND name = 'responsible_unit'
DROP TABLE IF EXISTS projects;

CREATE VIEW IF NOT EXISTS projects AS
SELECT project_id, revision, name_zh, name_en, region, category, stage, department_id, department_name,
       responsible_unit, responsible_person, lead_official,
       total_investment_wan, plan_years, plan_annual_wan, plan_monthly_wan,
       milestone_ids, milestone_titles, milestone_planned, synthetic_fields,
       reported_by, source, received_at, event_id
FROM project_registrations FINAL
ORDER BY project_id, revision DESC
LIMIT 1 BY project_id;

-- kpp:when SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'dispatch_projects' AND name = 'responsible_unit'
ALTER TABLE dispatch_projects ADD COLUMN responsible_unit String COMMENT 'unit that carries the project out (责任单位), from the register';

-- kpp:when SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'dispatch_projects' AND name = 'responsible_person'
ALTER TABLE dispatch_projects ADD COLUMN responsible_person String COMMENT 'person answerable for the project (责任人), from the register';

-- kpp:when SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'dispatch_projects' AND name = 'lead_official'
ALTER TABLE dispatch_projects ADD COLUMN lead_official String COMMENT 'leader in charge (分管领导), from the register';

-- kpp:when SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'dispatch_projects' AND name = 'problems'
ALTER TABLE dispatch_projects ADD COLUMN problems String COMMENT 'problems (存在问题) of the report used (report_period, report_revision)';

-- kpp:when SELECT count() = 0 FROM system.columns WHERE database = currentDatabase() AND table = 'dispatch_projects' AND name = 'next_steps'
ALTER TABLE dispatch_projects ADD COLUMN next_steps String COMMENT 'next steps (下步计划) of the report used';
