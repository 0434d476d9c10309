-- The stored totals of one review's run: kind, period, run id.
SELECT toString(dimension), key, label, projects, reported, missing, late, green, yellow, red, unrated,
       period_completed_wan, month_completed_wan, ytd_completed_wan, annual_plan_wan, completion_pct,
       time_progress_pct, gap_pp, rank
FROM dispatch_totals
WHERE kind = ? AND period = ? AND run_id = ?
ORDER BY dimension, key
