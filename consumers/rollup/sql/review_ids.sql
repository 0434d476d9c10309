-- The ids of the projects registered before the cut-off, in order; the
-- rollup cuts them into slices that it reads one after the other.
-- Parameter: the cut-off.
SELECT DISTINCT project_id
FROM project_registrations
WHERE received_at < ?
ORDER BY project_id
