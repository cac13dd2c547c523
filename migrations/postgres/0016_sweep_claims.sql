-- Distributed sweeps. A sweep left to `govbadge worker` processes lists its sites here; a worker
-- claims a few at a time (SKIP LOCKED on PostgreSQL) with a lease it renews while it crawls
-- them, and the claim is deleted in the transaction that records the site's result. A killed
-- worker's sites are claimed again once its lease has run out; a late result of a worker that
-- lost its claim is dropped, so every site is recorded once.
CREATE TABLE sweep_claims (
    sweep_id     BIGINT NOT NULL REFERENCES sweeps (id),
    badge_code   TEXT NOT NULL REFERENCES badges (code),
    worker       TEXT,
    lease_until  TIMESTAMPTZ,
    attempts     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sweep_id, badge_code)
);
CREATE INDEX sweep_claims_worker ON sweep_claims (worker);

-- Politeness shared by every worker: per key (a host, or an IP address that many hosts sit
-- behind) the time, in microseconds since the epoch, before which no further request may
-- start. A worker reserves a window of request slots at a time. Unlogged: a reservation's
-- commit does not wait for the disk, and what a crash loses is a second of pacing.
CREATE UNLOGGED TABLE crawl_pace (
    key         TEXT PRIMARY KEY,
    next_at_us  BIGINT NOT NULL
);
