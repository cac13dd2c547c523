-- The programme as it exists: sites registered before govbadge, with their national (CONAC)
-- badge codes, taken in from the register.

-- The site's national badge code (CA and 21 digits), kept beside or instead of a govbadge code;
-- the id of its static verification link (bszs.conac.cn/…&id=…), when known; the site's
-- government website identifier (网站标识码, <meta name="SiteIDCode">).
ALTER TABLE applications ADD COLUMN legacy_code TEXT;
ALTER TABLE applications ADD COLUMN legacy_link_id TEXT;
ALTER TABLE applications ADD COLUMN site_id_code TEXT NOT NULL DEFAULT '';
-- 'applied' through the workflow, or 'imported' from the register.
ALTER TABLE applications ADD COLUMN origin TEXT NOT NULL DEFAULT 'applied' CHECK (origin IN ('applied', 'imported'));
CREATE INDEX applications_legacy_code ON applications (legacy_code);

-- A badge whose code is a legacy code takes no serial of its region: such rows store the negated
-- application id as their serial, which keeps (region, serial) unique without a counter.

-- The office's decision on a re-check of a site with a legacy code: keep it as the site's code
-- or replace it with a new govbadge code (NULL until decided at confirmation).
ALTER TABLE applications ADD COLUMN legacy_decision TEXT CHECK (legacy_decision IN ('keep', 'replace'));

-- Each import run, for the record: who, which file, what it did.
CREATE TABLE register_imports (
    id          INTEGER PRIMARY KEY,
    actor_id    INTEGER REFERENCES accounts (id),
    file_name   TEXT NOT NULL,
    rows_total  INTEGER NOT NULL,
    added       INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    at          TEXT NOT NULL
);
