#!/usr/bin/env python3
"""Registers N badged sites (farm-001.bench.gov.cn …) in a govbadge database whose schema
exists (run any govbadge command on it first), for bench/farm.sh. Prints "host code" lines.
With --sql, writes the same rows as SQL for PostgreSQL (psql -f) to SQL_PATH instead.

Usage: farm_db.py DB_PATH N
       farm_db.py --sql SQL_PATH N
"""
import sqlite3
import sys

REGION = "410922"
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9]  # ISO 7064 MOD 11-2 weights for 12 digits


def check_char(body):
    total = sum(int(d) * w for d, w in zip(body, WEIGHTS))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def add_unit(db, now):
    """The bench unit's account; returns its id."""
    db.execute(
        "INSERT INTO accounts (name, display_name, role, level, region, password_hash, created_at) "
        "VALUES ('bench-unit', '压测单位', 'unit', 'county', ?, 'x', ?)", (REGION, now))
    return db.execute("SELECT id FROM accounts WHERE name = 'bench-unit'").fetchone()[0]


def add_site(db, unit, n, serial, host, now):
    """An issued application and its active badge (serial `serial`) for `host`; returns the code."""
    body = f"{REGION}{serial:06d}"
    code = body + check_char(body)
    cur = db.execute(
        "INSERT INTO applications (unit_id, kind, state, state_since, unit_name, category, site_name, domain_en, "
        "created_at, updated_at) VALUES (?, 'new', 'issued', ?, ?, '部门网站', ?, ?, ?, ?)",
        (unit, now, f"压测单位{n}", f"压测网站{n}", host, now, now))
    db.execute(
        "INSERT INTO badges (code, application_id, unit_id, region, serial, status, issued_at, install_due, "
        "status_changed_at) VALUES (?, ?, ?, ?, ?, 'active', ?, '2026-11-27', ?)",
        (code, cur.lastrowid, unit, REGION, serial, now, now))
    return code


def sql_literal(value):
    return "'" + str(value).replace("'", "''") + "'"


class SqlScript:
    """Stands in for the sqlite3 connection: the statements go to a file for psql, the
    application's id is taken by the badge's INSERT from the application's."""

    def __init__(self, out):
        self.out = out
        self.lastrowid = "(SELECT MAX(id) FROM applications)"

    def execute(self, sql, args=()):
        if sql.startswith("SELECT id FROM accounts"):
            return self
        for arg in args:
            text = arg if isinstance(arg, str) and arg.startswith("(SELECT") else sql_literal(arg)
            sql = sql.replace("?", text, 1)
        self.out.write(sql + ";\n")
        return self

    def fetchone(self):
        return ["(SELECT id FROM accounts WHERE name = 'bench-unit')"]

    def commit(self):
        self.out.write("COMMIT;\n")


def main():
    if sys.argv[1] == "--sql":
        path, n = sys.argv[2], int(sys.argv[3])
        out = open(path, "w", encoding="utf-8")
        out.write("BEGIN;\n")
        db = SqlScript(out)
    else:
        path, n = sys.argv[1], int(sys.argv[2])
        db = sqlite3.connect(path)
    now = "2026-11-20T02:00:00+00:00"
    unit = add_unit(db, now)
    for i in range(1, n + 1):
        host = f"farm-{i:03d}.bench.gov.cn"
        print(host, add_site(db, unit, i, i, host, now))
    db.commit()


if __name__ == "__main__":
    main()
