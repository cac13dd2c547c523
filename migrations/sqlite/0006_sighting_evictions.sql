-- The sightings of a code are bounded; when a new host outranks the lowest stored one (seen by
-- a Referer rather than only beaconed, more often, more recently), the lowest is evicted. This
-- counts what the bound did, per code, so supervisors can see that a flood happened.
CREATE TABLE sighting_evictions (
    code     TEXT PRIMARY KEY REFERENCES badges (code),
    -- Stored hosts replaced by a higher-ranked one.
    evicted  INTEGER NOT NULL DEFAULT 0,
    -- New hosts not stored because every stored host ranked above them.
    dropped  INTEGER NOT NULL DEFAULT 0,
    last_at  TEXT NOT NULL
);
