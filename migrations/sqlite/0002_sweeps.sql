-- Compliance sweeps: a run, each site's outcome, each page's result. A site's pages and its
-- outcome are written in one transaction when the site is done, so a run killed at any moment
-- resumes without fetching finished sites again and without duplicate rows.

CREATE TABLE sweeps (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('sweep', 'scheduled', 'self_check')),
    -- Region code prefix the sweep covers ('' for all).
    scope         TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted')),
    sites_total   INTEGER NOT NULL DEFAULT 0,
    started_at    TEXT NOT NULL,
    finished_at   TEXT
);

CREATE TABLE sweep_sites (
    sweep_id      INTEGER NOT NULL REFERENCES sweeps (id),
    badge_code    TEXT NOT NULL REFERENCES badges (code),
    -- compliant, non_compliant, unreachable; or suspended / revoked when not crawled.
    site_verdict  TEXT NOT NULL,
    pages         INTEGER NOT NULL,
    compliant     INTEGER NOT NULL,
    urls          INTEGER NOT NULL,
    first_failing_url     TEXT,
    first_failing_verdict TEXT,
    checked_at    TEXT NOT NULL,
    PRIMARY KEY (sweep_id, badge_code)
);
CREATE INDEX sweep_sites_code ON sweep_sites (badge_code, checked_at);

CREATE TABLE sweep_pages (
    id            INTEGER PRIMARY KEY,
    sweep_id      INTEGER NOT NULL REFERENCES sweeps (id),
    badge_code    TEXT NOT NULL,
    url           TEXT NOT NULL,
    http_status   INTEGER,
    outcome       TEXT NOT NULL,
    verdict       TEXT,
    warnings      TEXT NOT NULL DEFAULT '',
    title         TEXT,
    encoding      TEXT,
    footer        TEXT,
    certificate_problem TEXT,
    UNIQUE (sweep_id, badge_code, url)
);
CREATE INDEX sweep_pages_site ON sweep_pages (sweep_id, badge_code);
