#!/usr/bin/env bash
# The dashboard's downloads at scale: the database of bench/dashboard.sh with S sites of P pages
# each, and for each of pages.csv and report.xlsx a fresh `govbadge serve` from which the city
# supervisor (濮阳市监督.政务: every site in scope) downloads the file once with curl. Prints the
# file's size, the seconds to the first byte and to the last, and the server's peak RSS before
# and after the download (VmHWM). Then a flood of the public list's CSV (/sites.csv, every
# approved site): FLOOD requests, PARALLEL at a time (default 64 and 32), with the answers'
# statuses, the seconds and the server's peak RSS before and after.
# Usage: bench/downloads.sh [sites=2000] [pages=100] [govbadge binary=release build]
source "$(dirname "$0")/common.sh"
SITES="${1:-2000}"
PAGES="${2:-100}"
need_packages curl:curl
if [ -n "${3:-}" ]; then GOVBADGE="$3"; else build_release; fi

local_server downloads
demo_database "$run" "$base" "$SITES" "$PAGES"
db="$DB"
pages=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM sweep_pages').fetchone()[0])" "$run/govbadge.db")
echo "# $SITES sites, $pages pages; $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $GOVBADGE"
printf '| file | MB | first byte s | last byte s | server peak RSS before, MB | after, MB |\n|---|---:|---:|---:|---:|---:|\n'
for file in pages.csv report.xlsx; do
    "$GOVBADGE" --config "$ROOT/config.toml" serve --database "$db" --bind "127.0.0.1:$port" >"$run/serve.log" 2>&1 &
    pid=$!
    trap 'kill $pid 2>/dev/null || true' EXIT
    wait_http "$base/healthz"
    jar="$run/cookies"
    supervisor_login "$base" "$jar"
    # The session's first dashboard view, so that "before" holds what any view needs.
    curl -fs -b "$jar" -o /dev/null "$base/dashboard"
    before=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
    read -r status first last size < <(curl -s -b "$jar" -o "$run/$file" \
        -w '%{http_code} %{time_starttransfer} %{time_total} %{size_download}\n' "$base/dashboard/download/$file")
    [ "$status" = 200 ] || { echo "$file answered $status" >&2; exit 1; }
    after=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
    python3 -c "print(f'| $file | {$size / 1e6:.1f} | {$first:.2f} | {$last:.2f} | {$before / 1024:.1f} | {$after / 1024:.1f} |')"
    kill "$pid"; wait "$pid" 2>/dev/null || true
done

FLOOD="${FLOOD:-64}"
PARALLEL="${PARALLEL:-32}"
"$GOVBADGE" --config "$ROOT/config.toml" serve --database "$db" --bind "127.0.0.1:$port" >"$run/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
wait_http "$base/healthz"
read -r size one < <(curl -s -o /dev/null -w '%{size_download} %{time_total}\n' "$base/sites.csv")
before=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
start=$(date +%s.%N)
statuses=$(seq 1 "$FLOOD" | xargs -P "$PARALLEL" -I{} curl -s -o /dev/null -w '%{http_code}\n' "$base/sites.csv" \
    | sort | uniq -c | awk '{printf "%s%s×%s", (NR > 1 ? ", " : ""), $2, $1}')
secs=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
after=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
echo
echo "/sites.csv: $(python3 -c "print(f'{$size / 1e6:.1f}')") MB in $one s alone; $FLOOD requests, $PARALLEL at a time:" \
    "$statuses in $secs s; server peak RSS $(python3 -c "print(f'{$before / 1024:.1f} → {$after / 1024:.1f}')") MB"
kill "$pid"; wait "$pid" 2>/dev/null || true
