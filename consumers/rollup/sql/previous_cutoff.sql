-- The cut-off of the current (complete) run of a review: the instant its
-- data was read as of (0 when the review was never computed).
-- Parameters: the kind and the period key, twice.
SELECT toUInt32(max(cutoff))
FROM dispatch_projects
WHERE kind = ? AND period = ?
  AND run_id IN (SELECT run_id FROM review_current WHERE kind = ? AND period = ?)
