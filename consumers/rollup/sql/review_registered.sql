-- Whether any project was registered before the cut-off (a review of none is
-- not run). Parameter: the cut-off.
SELECT count() FROM project_registrations WHERE received_at < ?
