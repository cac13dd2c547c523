#!/usr/bin/env bash
# Register files uploaded together: a fresh `govbadge serve --demo`, the city office
# (濮阳市编办.政务) signed in, and FLOOD uploads (PARALLEL at a time; default 8 and 8) to
# /office/units/import of the costliest XLSX within the reader's bounds (bench/register_xlsx.py:
# 4.4 million short shared strings, 11 MB). Prints the answers' statuses, the seconds and the
# server's peak RSS before and after (VmHWM).
# Usage: bench/register_flood.sh [govbadge binary=release build]
source "$(dirname "$0")/common.sh"
FLOOD="${FLOOD:-8}"
PARALLEL="${PARALLEL:-8}"
need_packages curl:curl
if [ -n "${1:-}" ]; then GOVBADGE="$1"; else build_release; fi

local_server register_flood
file="$WORK/register-costliest.xlsx"
[ -s "$file" ] || python3 "$ROOT/bench/register_xlsx.py" "$file"
"$GOVBADGE" --config "$ROOT/config.toml" serve --database "sqlite://$run/govbadge.db" --bind "127.0.0.1:$port" --demo \
    >"$run/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
wait_http "$base/healthz"
jar="$run/cookies"
demo_login "$base" "$jar" "濮阳市编办.政务"
token=$(curl -fs -b "$jar" "$base/office/units" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//')
[ -n "$token" ] || { echo "no form on /office/units" >&2; exit 1; }
before=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
start=$(date +%s.%N)
statuses=$(seq 1 "$FLOOD" | xargs -P "$PARALLEL" -I{} curl -s -b "$jar" -o /dev/null -w '%{http_code}\n' \
    -F "csrf=$token" -F "file=@$file;filename=units.xlsx" "$base/office/units/import" \
    | sort | uniq -c | awk '{printf "%s%s×%s", (NR > 1 ? ", " : ""), $2, $1}')
secs=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
after=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
curl -fs -o /dev/null "$base/healthz" || { echo "the server no longer answers" >&2; exit 1; }
echo "# $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $GOVBADGE"
echo "register uploads of $(python3 -c "import os; print(f'{os.path.getsize(\"$file\") / 1e6:.1f}')") MB:" \
    "$FLOOD, $PARALLEL at a time: $statuses in $secs s;" \
    "server peak RSS $(python3 -c "print(f'{$before / 1024:.1f} → {$after / 1024:.1f}')") MB"
