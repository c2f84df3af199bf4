-- Unleased jobs are claimed in the order they fall due (run_at, then id),
-- straight from this index: jobs scheduled for later (timers, retries)
-- no longer have to be read past on every claim, and the next due time of
-- a kind is the first entry. Replaces jobs_ready (kind, id).
DROP INDEX jobs_ready;
CREATE INDEX jobs_due ON jobs (kind, run_at, id) WHERE locked_until = 0;

-- The queue churns: every job is inserted, updated when claimed, and
-- deleted. Vacuum it after every thousand dead rows rather than after a
-- fifth of the table, without cost-based pauses, so that its indexes stay
-- small and claims stay quick under sustained load.
ALTER TABLE jobs SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0,
    autovacuum_analyze_threshold = 1000);
