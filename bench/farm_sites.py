#!/usr/bin/env python3
"""Copies a generated site once per farm host, with the host's own badge code in place of the
placeholder, so nginx serves every host's pages as plain static files (as in the one-site
benchmark). Usage: farm_sites.py TEMPLATE_DIR HOSTS_FILE OUT_DIR  (HOSTS_FILE: "host code" lines)
"""
import os
import sys


def main():
    template, hosts_file, out = sys.argv[1:4]
    pages = {}
    for root, _, files in os.walk(template):
        for name in files:
            if name.startswith("."):
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                pages[os.path.relpath(path, template)] = f.read()
    for line in open(hosts_file):
        host, code = line.split()
        for rel, body in pages.items():
            path = os.path.join(out, host, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(body.replace(b"@@CODE@@", code.encode()))
    print(len(pages))


if __name__ == "__main__":
    main()
