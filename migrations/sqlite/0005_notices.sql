-- Contact details of staff accounts, for the supervisors' digests ('' when not given).
ALTER TABLE accounts ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN mobile TEXT NOT NULL DEFAULT '';

-- Enforcement notices, one row per event. The unique key makes each event send once however
-- often the rules run (after every sweep and scheduled check, and after restarts): the row and
-- its outbox messages are written in one transaction, and a second insert of the same key does
-- nothing.
CREATE TABLE enforcement_notices (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('reminder', 'overdue', 'regression', 'digest')),
    -- The badge code, or for a digest the supervisor's account id.
    subject     TEXT NOT NULL,
    -- What makes the event distinct: the deadline of a reminder or an overdue notice, the run
    -- that found a regression, the date of a digest.
    period      TEXT NOT NULL,
    badge_code  TEXT REFERENCES badges (code),
    account_id  INTEGER REFERENCES accounts (id),
    messages    INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (kind, subject, period)
);
CREATE INDEX enforcement_notices_site ON enforcement_notices (badge_code, created_at);

-- The sites a digest named.
CREATE TABLE enforcement_digest_sites (
    notice_id   INTEGER NOT NULL REFERENCES enforcement_notices (id),
    badge_code  TEXT NOT NULL REFERENCES badges (code),
    PRIMARY KEY (notice_id, badge_code)
);
CREATE INDEX enforcement_digest_sites_code ON enforcement_digest_sites (badge_code);
