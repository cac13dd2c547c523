-- Changes (变更) and cancellations (注销) of a badged site, asked by its unit and decided by the
-- staffing office of the unit's own level. A change's new values take effect only on approval;
-- the values they replaced are kept with the request, so the request list is the site's history.
CREATE TABLE site_requests (
    id              INTEGER PRIMARY KEY,
    badge_code      TEXT NOT NULL REFERENCES badges (code),
    unit_id         INTEGER NOT NULL REFERENCES accounts (id),
    kind            TEXT NOT NULL CHECK (kind IN ('change', 'cancel')),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    -- JSON object: form field -> new value (a change), {} for a cancellation.
    changes         TEXT NOT NULL,
    -- JSON object: form field -> the value it replaced, written on approval.
    previous        TEXT NOT NULL DEFAULT '{}',
    reason          TEXT NOT NULL,
    decided_by      INTEGER REFERENCES accounts (id),
    decision_reason TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    decided_at      TEXT
);
CREATE INDEX site_requests_badge ON site_requests (badge_code, id);
-- One open request per site at a time.
CREATE UNIQUE INDEX site_requests_one_pending ON site_requests (badge_code) WHERE state = 'pending';

-- When a site was closed (注销): its badge is revoked, its verification page says so, sweeps skip it.
ALTER TABLE badges ADD COLUMN closed_at TEXT;
