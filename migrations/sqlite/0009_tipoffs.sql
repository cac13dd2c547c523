-- Reports from the public (举报) of a site that carries a badge it should not: the badge, where
-- it was seen, what the reporter says and, if given, how to reach them (shown only to the
-- supervisors and offices covering the badge, never on public pages).
CREATE TABLE tipoffs (
    id           INTEGER PRIMARY KEY,
    badge_code   TEXT NOT NULL,
    seen_url     TEXT NOT NULL,
    seen_host    TEXT NOT NULL,
    description  TEXT NOT NULL,
    contact      TEXT NOT NULL DEFAULT '',
    region       TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL
);
CREATE INDEX tipoffs_region ON tipoffs (region, id);
