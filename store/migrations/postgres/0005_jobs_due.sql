-- Unleased jobs are claimed in the order they fall due (run_at, then id),
-- straight from this index: jobs scheduled for later (timers, retries)
-- no longer have to be read past on every claim, and the next due time of
-- a kind is the first entry. Replaces jobs_ready (kind, id).
DROP INDEX jobs_ready;
CREATE INDEX jobs_due ON jobs (kind, run_at, id) WHERE locked_until = 0;
