INSERT INTO dispatch_totals (kind, period, dimension, key, label, projects, reported, missing, late, green, yellow,
red, unrated, period_completed_wan, month_completed_wan, ytd_completed_wan, annual_plan_wan, completion_pct,
time_progress_pct, gap_pp, rank, computed_at, run_id)
