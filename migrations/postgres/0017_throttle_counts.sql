-- Rate limits every instance sharing the database sees alike: per scope (what is limited:
-- login attempts per account, failures per address, self-checks, reports, reset codes) and
-- key (who: a digest of the account name or client address, never the name or address itself),
-- the events counted in each fixed window (its start, seconds since the epoch).
-- A limit weighs the previous window's count by how much of it still lies within the sliding
-- window, so a burst across a window boundary gains nothing.
-- Unlogged: a count's commit does not wait for the disk; a crash forgets the counts, which
-- then start again.
CREATE UNLOGGED TABLE throttle_counts (
    scope         TEXT NOT NULL,
    key           TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    count         BIGINT NOT NULL,
    PRIMARY KEY (scope, key, window_start)
);
