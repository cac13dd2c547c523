#!/usr/bin/env python3
"""N wrong passwords at once against govbadge's JSON login (bench/login_flood.sh): for one
account ("one") or spread over the demo accounts ("many"); prints the answers by status and
whether a right password from the same address signs in afterwards.

Usage: login_flood.py BASE N (one|many)
"""
import collections
import json
import sys
import threading
import urllib.error
import urllib.request

NAMES = ["清丰县人民政府.政务", "清丰县政务服务.政务", "清丰县编办.政务", "濮阳市编办.政务", "admin", "nobody"]


def login(base, name, password):
    body = json.dumps({"name": name, "password": password}).encode()
    req = urllib.request.Request(base + "/api/v1/sessions", body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception as e:  # noqa: BLE001 - a refused or broken connection is a figure too
        return type(e).__name__


def main():
    base, n, spread = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    statuses = collections.Counter()
    lock = threading.Lock()
    start = threading.Barrier(n)

    def one(i):
        name = NAMES[0] if spread == "one" else NAMES[i % len(NAMES)]
        start.wait()
        status = login(base, name, "wrong password")
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    right = login(base, "南乐县教育局.政务", "Demo-2026-pass")
    print(f"{n} at once ({spread} account{'s' if spread == 'many' else ''}): {dict(sorted(statuses.items(), key=str))}; "
          f"then the right password of another account: {right}")


if __name__ == "__main__":
    main()
