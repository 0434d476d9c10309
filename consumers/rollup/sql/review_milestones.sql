-- Per project and milestone with updates received before the cut-off, by
-- project and milestone id: the latest update as of the cut-off (title,
-- status, planned, forecast and actual dates), and the forecast of the
-- latest update as of the previous review's cut-off (updates_before = 0
-- when there was none then). Wrapping the values in tuples keeps argMax
-- from skipping the NULL dates of the latest revision.
-- Parameters: the previous review's cut-off twice; the cut-off; the first
-- and the last project id of the slice read.
SELECT project_id, milestone_id, tupleElement(latest, 1), tupleElement(latest, 2), tupleElement(latest, 3),
       tupleElement(latest, 4), tupleElement(latest, 5), updates_before, tupleElement(before, 1)
FROM
(
    SELECT project_id, milestone_id,
           argMax(tuple(title, status, planned_date, forecast_date, actual_date), revision) AS latest,
           countIf(received_at < ?) AS updates_before,
           argMaxIf(tuple(forecast_date), revision, received_at < ?) AS before
    FROM milestone_updates FINAL
    WHERE received_at < ? AND project_id >= ? AND project_id <= ?
    GROUP BY project_id, milestone_id
)
ORDER BY project_id, milestone_id
