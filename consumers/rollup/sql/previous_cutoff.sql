-- The cut-off of the stored review of a kind and period: the instant its
-- data was read as of (0 when the review was never computed).
-- Parameters: the kind; the period key.
SELECT toUInt32(max(cutoff))
FROM dispatch_projects
WHERE kind = ? AND period = ?
