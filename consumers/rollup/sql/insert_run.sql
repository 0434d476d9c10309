INSERT INTO review_runs (kind, period, run_id, state, started_ns, at)
