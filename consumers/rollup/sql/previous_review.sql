-- The stored statuses of the previous review of the same kind: kind, period.
SELECT project_id, toString(status), short_streak
FROM dispatch_projects
WHERE kind = ? AND period = ?
