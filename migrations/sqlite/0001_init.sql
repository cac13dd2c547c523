-- govbadge schema. Portable SQL: TEXT timestamps in RFC 3339 UTC, CHECK constraints for the
-- enumerations, no SQLite-only types, so a PostgreSQL migration can mirror it.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('unit', 'reviewer', 'supervisor', 'admin')),
    level         TEXT CHECK (level IN ('county', 'city', 'province', 'central')),
    region        TEXT CHECK (region IS NULL OR length(region) = 6),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE applications (
    id                INTEGER PRIMARY KEY,
    unit_id           INTEGER NOT NULL REFERENCES accounts (id),
    kind              TEXT NOT NULL CHECK (kind IN ('new', 'recheck')),
    state             TEXT NOT NULL CHECK (state IN ('draft', 'county_review', 'city_review',
                        'province_review', 'central_review', 'approved_online', 'paper_received',
                        'confirmed', 'issued', 'rejected', 'paper_problem')),
    version           INTEGER NOT NULL DEFAULT 1,
    round             INTEGER NOT NULL DEFAULT 0,
    -- The review chain fixed at submission, e.g. 'county,city,province,central'.
    chain             TEXT NOT NULL DEFAULT '',
    state_since       TEXT NOT NULL,
    unit_name         TEXT NOT NULL DEFAULT '',
    parent_unit       TEXT NOT NULL DEFAULT '',
    unit_functions    TEXT NOT NULL DEFAULT '',
    category          TEXT NOT NULL DEFAULT '',
    address           TEXT NOT NULL DEFAULT '',
    postcode          TEXT NOT NULL DEFAULT '',
    site_name         TEXT NOT NULL DEFAULT '',
    site_intro        TEXT NOT NULL DEFAULT '',
    domain_cn         TEXT NOT NULL DEFAULT '',
    domain_cn_ascii   TEXT NOT NULL DEFAULT '',
    domain_en         TEXT NOT NULL DEFAULT '',
    ips               TEXT NOT NULL DEFAULT '',
    principal_name    TEXT NOT NULL DEFAULT '',
    principal_phone   TEXT NOT NULL DEFAULT '',
    principal_mobile  TEXT NOT NULL DEFAULT '',
    principal_email   TEXT NOT NULL DEFAULT '',
    handler_name      TEXT NOT NULL DEFAULT '',
    handler_phone     TEXT NOT NULL DEFAULT '',
    handler_mobile    TEXT NOT NULL DEFAULT '',
    handler_email     TEXT NOT NULL DEFAULT '',
    handler_id_number TEXT NOT NULL DEFAULT '',
    credit_code       TEXT NOT NULL DEFAULT '',
    recheck_code      TEXT NOT NULL DEFAULT '',
    badge_code        TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX applications_unit ON applications (unit_id);
CREATE INDEX applications_state ON applications (state);

-- Append-only audit log of every workflow step.
CREATE TABLE application_events (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    round           INTEGER NOT NULL,
    actor_id        INTEGER NOT NULL REFERENCES accounts (id),
    actor_role      TEXT NOT NULL,
    actor_level     TEXT,
    event           TEXT NOT NULL,
    from_state      TEXT NOT NULL,
    to_state        TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    at              TEXT NOT NULL
);
CREATE INDEX application_events_app ON application_events (application_id, id);
CREATE TRIGGER application_events_no_update BEFORE UPDATE ON application_events
BEGIN SELECT RAISE(ABORT, 'application_events is append-only'); END;
CREATE TRIGGER application_events_no_delete BEFORE DELETE ON application_events
BEGIN SELECT RAISE(ABORT, 'application_events is append-only'); END;

-- The last serial issued per region; serials only grow, so codes are never reused.
CREATE TABLE region_serials (
    region      TEXT PRIMARY KEY,
    last_serial INTEGER NOT NULL CHECK (last_serial BETWEEN 0 AND 999999)
);

CREATE TABLE badges (
    code            TEXT PRIMARY KEY,
    application_id  INTEGER NOT NULL UNIQUE REFERENCES applications (id),
    unit_id         INTEGER NOT NULL REFERENCES accounts (id),
    region          TEXT NOT NULL,
    serial          INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
    issued_at       TEXT NOT NULL,
    install_due     TEXT NOT NULL,
    status_changed_at TEXT NOT NULL,
    UNIQUE (region, serial)
);
CREATE INDEX badges_unit ON badges (unit_id);

CREATE TABLE badge_events (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL REFERENCES badges (code),
    actor_id    INTEGER NOT NULL REFERENCES accounts (id),
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE TRIGGER badge_events_no_update BEFORE UPDATE ON badge_events
BEGIN SELECT RAISE(ABORT, 'badge_events is append-only'); END;
CREATE TRIGGER badge_events_no_delete BEFORE DELETE ON badge_events
BEGIN SELECT RAISE(ABORT, 'badge_events is append-only'); END;

-- Notifications waiting to go out, written in the same transaction as the change they tell of.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER REFERENCES applications (id),
    topic           TEXT NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    sent_at         TEXT,
    failed_at       TEXT,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox (sent_at, failed_at, next_attempt_at);
