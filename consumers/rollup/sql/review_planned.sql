-- The planned milestones of the projects registered before the cut-off, at
-- their latest registration revision, by project in registration order
-- (ingest writes the three arrays with one element per milestone).
-- Parameters: the cut-off; the first and the last project id of the slice
-- read.
SELECT project_id, milestone_id, milestone_title, milestone_planned_date
FROM
(
    SELECT project_id, milestone_ids, milestone_titles, milestone_planned
    FROM project_registrations FINAL
    WHERE received_at < ? AND project_id >= ? AND project_id <= ?
    ORDER BY project_id, revision DESC
    LIMIT 1 BY project_id
)
ARRAY JOIN milestone_ids AS milestone_id, milestone_titles AS milestone_title,
           milestone_planned AS milestone_planned_date, arrayEnumerate(milestone_ids) AS position
ORDER BY project_id, position
