-- The rendered check (src/render): a page loaded in headless chromium and its badge judged as
-- a visitor sees it, beside the static verdict. `rendered` is the rendered verdict's word
-- (rendered_compliant, covered, not_centred, ...), NULL when the page was not rendered;
-- `rendered_detail` is its measurements as JSON (the badge's box, the page's size, whether a
-- script wrote the badge, why rendering failed).
ALTER TABLE sweep_pages ADD COLUMN rendered TEXT;
ALTER TABLE sweep_pages ADD COLUMN rendered_detail TEXT;

-- Screenshots of the bottom of non-compliant rendered pages (PNG), a few per site per run,
-- written in the same transaction as the site's pages.
CREATE TABLE sweep_screenshots (
    id          INTEGER PRIMARY KEY,
    sweep_id    INTEGER NOT NULL REFERENCES sweeps (id),
    badge_code  TEXT NOT NULL,
    url         TEXT NOT NULL,
    png         BLOB NOT NULL,
    UNIQUE (sweep_id, badge_code, url)
);
