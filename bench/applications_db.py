#!/usr/bin/env python3
"""Adds N applications to a govbadge database made by `govbadge serve --demo`, for
bench/lists.sh: copies of the demo's first issued application (清丰县人民政府网, review chain
county and central), each with its own site name, nine in ten issued, the others waiting at
the county's review or the central one, dated one minute apart.

Usage: applications_db.py DB_PATH N
"""
import sqlite3
import sys


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    db = sqlite3.connect(path)
    columns = [row[1] for row in db.execute("PRAGMA table_info(applications)") if row[1] != "id"]
    source = db.execute("SELECT id FROM applications WHERE state = 'issued' AND chain <> '' ORDER BY id").fetchone()[0]
    varied = {"state", "site_name", "state_since", "badge_code"}
    kept = ", ".join(c for c in columns if c not in varied)
    db.execute(f"""
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
        INSERT INTO applications ({kept}, state, site_name, state_since, badge_code)
        SELECT {kept},
               CASE WHEN i % 20 = 1 THEN 'county_review' WHEN i % 20 = 2 THEN 'central_review' ELSE 'issued' END,
               '压测网站' || i,
               strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-01-01', '+' || i || ' minutes'),
               NULL
        FROM applications, n WHERE applications.id = ?""", (n, source))
    db.commit()


if __name__ == "__main__":
    main()
