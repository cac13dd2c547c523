#!/usr/bin/env python3
"""Adds N badged sites of 清丰县 (410922), each with a result in one finished sweep (a page or
two per site, a verdict mix, footer items), to a govbadge database that already has its schema
and the demo accounts, for bench/dashboard.sh. Fills the kept-result columns (verdict counts,
footer) when the schema has them. With PAGES, every site that was reached has that many pages
(for bench/downloads.sh), the last one failing on the non-compliant sites.

Usage: dashboard_db.py DB_PATH N [PAGES]
"""
import json
import sqlite3
import sys

from farm_db import add_site, add_unit

VERDICTS = ["compliant"] * 6 + ["non_compliant"] * 3 + ["unreachable"]


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    per_site = int(sys.argv[3]) if len(sys.argv) > 3 else None
    db = sqlite3.connect(path)
    columns = {row[1] for row in db.execute("PRAGMA table_info(sweep_sites)")}
    kept = "verdict_counts" in columns
    now = "2026-11-20T02:00:00+00:00"
    checked = "2026-11-30T03:00:00+00:00"
    unit = add_unit(db, now)
    sweep = db.execute(
        "INSERT INTO sweeps (kind, scope, status, sites_total, started_at, finished_at) "
        "VALUES ('sweep', '4109', 'finished', ?, ?, ?)", (n, checked, checked)).lastrowid
    footer = json.dumps({"icp": "豫ICP备05010001号", "police": None, "site_id_code": None, "legacy_badge": None},
                        ensure_ascii=False)
    for i in range(1, n + 1):
        host = f"s{i:06d}.bench.gov.cn"
        code = add_site(db, unit, i, 100000 + i, host, now)
        verdict = VERDICTS[i % len(VERDICTS)]
        pages = {"compliant": [("compliant", f"http://{host}/")],
                 "non_compliant": [("compliant", f"http://{host}/"), ("missing", f"http://{host}/a.html")],
                 "unreachable": []}[verdict]
        if per_site and pages:
            pages = [("compliant", f"http://{host}/{j}.html") for j in range(per_site)]
            if verdict == "non_compliant":
                pages[-1] = ("missing", pages[-1][1])
        failing = next((url for v, url in pages if v != "compliant"), None)
        counts = {}
        for v, _ in pages:
            counts[v] = counts.get(v, 0) + 1
        values = [sweep, code, verdict, len(pages), counts.get("compliant", 0), max(len(pages), 1), failing,
                  "missing" if failing else None, checked]
        if kept:
            db.execute(
                "INSERT INTO sweep_sites (sweep_id, badge_code, site_verdict, pages, compliant, urls, "
                "first_failing_url, first_failing_verdict, checked_at, verdict_counts, footer) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values + [json.dumps(counts), footer if pages else None])
        else:
            db.execute(
                "INSERT INTO sweep_sites (sweep_id, badge_code, site_verdict, pages, compliant, urls, "
                "first_failing_url, first_failing_verdict, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
        for v, url in pages:
            db.execute(
                "INSERT INTO sweep_pages (sweep_id, badge_code, url, http_status, outcome, verdict, warnings, "
                "footer) VALUES (?, ?, ?, 200, 'ok', ?, '', ?)", (sweep, code, url, v, footer))
    db.commit()


if __name__ == "__main__":
    main()
