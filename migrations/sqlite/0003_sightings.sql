-- Hosts seen loading a badge (from the Referer of the script and image) or beaconing a
-- mismatch, per code. Bounded: the service keeps at most a fixed number of hosts per code.
CREATE TABLE badge_sightings (
    code        TEXT NOT NULL REFERENCES badges (code),
    host        TEXT NOT NULL,
    registered  INTEGER NOT NULL CHECK (registered IN (0, 1)),
    source      TEXT NOT NULL CHECK (source IN ('referer', 'beacon')),
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (code, host)
);
