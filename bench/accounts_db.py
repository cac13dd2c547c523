#!/usr/bin/env python3
"""Adds N unit accounts to a govbadge database that already has its schema and the demo
accounts, for bench/accounts.sh: spread over the counties of the region table
(data/regions.tsv) in turn, a tenth of them in 清丰县 (410922), a third disabled without a
password as a register import leaves them.

Usage: accounts_db.py DB_PATH N
"""
import pathlib
import sqlite3
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
NO_PASSWORD = "!imported"  # store::register::NO_PASSWORD


def counties():
    codes = []
    for line in (ROOT / "data" / "regions.tsv").read_text(encoding="utf-8").splitlines():
        code, _name = line.split("\t", 1)
        if not code.endswith("00"):
            codes.append(code)
    return codes


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    db = sqlite3.connect(path)
    areas = counties()
    now = "2026-11-20T02:00:00+00:00"
    rows = []
    for i in range(n):
        region = "410922" if i % 10 == 0 else areas[i % len(areas)]
        imported = i % 3 == 0
        rows.append((f"单位{i:06d}.政务", f"压测单位{i:06d}", region,
                     NO_PASSWORD if imported else "x", 1 if imported else 0, now))
    db.executemany(
        "INSERT INTO accounts (name, display_name, role, level, region, password_hash, disabled, created_at) "
        "VALUES (?, ?, 'unit', 'county', ?, ?, ?, ?)", rows)
    db.commit()


if __name__ == "__main__":
    main()
