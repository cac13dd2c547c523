-- Hosted red pages (网络红页): a micro-page a unit without a site of its own publishes, served by
-- govbadge at /red/<badge code> with the badge in its footer.
CREATE TABLE red_pages (
    code          TEXT PRIMARY KEY REFERENCES badges (code),
    unit_id       INTEGER NOT NULL REFERENCES accounts (id),
    title         TEXT NOT NULL,
    introduction  TEXT NOT NULL,
    functions     TEXT NOT NULL,
    address       TEXT NOT NULL,
    public_phone  TEXT NOT NULL,
    -- One service link a line: "名称 https://…".
    service_links TEXT NOT NULL,
    published     INTEGER NOT NULL CHECK (published IN (0, 1)),
    updated_at    TEXT NOT NULL
);
