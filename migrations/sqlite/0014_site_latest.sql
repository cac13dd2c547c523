-- National-scale data paths: a site's latest result is found by a primary-key lookup, and its
-- pages per verdict and footer findings are kept with the result, so the dashboard reads one
-- row per site instead of searching the site's history and counting its pages per request.

-- Pages per verdict (JSON object) and the footer findings of the first page that has them
-- (JSON), written with the site's result.
ALTER TABLE sweep_sites ADD COLUMN verdict_counts TEXT;
ALTER TABLE sweep_sites ADD COLUMN footer TEXT;

UPDATE sweep_sites SET
    verdict_counts = (
        SELECT json_group_object(verdict, n) FROM (
            SELECT verdict, COUNT(*) AS n FROM sweep_pages p
            WHERE p.sweep_id = sweep_sites.sweep_id AND p.badge_code = sweep_sites.badge_code
              AND p.verdict IS NOT NULL
            GROUP BY verdict
        )
    ),
    footer = (
        SELECT footer FROM sweep_pages p
        WHERE p.sweep_id = sweep_sites.sweep_id AND p.badge_code = sweep_sites.badge_code
          AND p.footer IS NOT NULL
        ORDER BY p.id LIMIT 1
    );

-- Each site's latest result from any kind of run (newest checked_at, then newest run), kept by
-- the trigger below whoever writes a result.
CREATE TABLE site_latest (
    badge_code  TEXT PRIMARY KEY,
    sweep_id    INTEGER NOT NULL REFERENCES sweeps (id),
    checked_at  TEXT NOT NULL
);

INSERT INTO site_latest (badge_code, sweep_id, checked_at)
SELECT badge_code, sweep_id, checked_at FROM (
    SELECT badge_code, sweep_id, checked_at,
           ROW_NUMBER() OVER (PARTITION BY badge_code ORDER BY checked_at DESC, sweep_id DESC) AS rank
    FROM sweep_sites
) WHERE rank = 1;

CREATE TRIGGER sweep_sites_latest AFTER INSERT ON sweep_sites
WHEN NOT EXISTS (
    SELECT 1 FROM site_latest l
    WHERE l.badge_code = NEW.badge_code
      AND (l.checked_at > NEW.checked_at OR (l.checked_at = NEW.checked_at AND l.sweep_id > NEW.sweep_id))
)
BEGIN
    INSERT OR REPLACE INTO site_latest (badge_code, sweep_id, checked_at)
    VALUES (NEW.badge_code, NEW.sweep_id, NEW.checked_at);
END;
