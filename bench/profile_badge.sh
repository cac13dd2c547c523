#!/usr/bin/env bash
# Where the badge endpoint's time goes: `govbadge serve --demo` on loopback, wrk on one path for
# D seconds while `perf record -g` samples the server, then the symbols with the most samples
# (self time) and the call graph saved as perf.data for `perf report`.
# Usage: bench/profile_badge.sh [js|svg|verify] [seconds=10] [govbadge binary=release build]
source "$(dirname "$0")/common.sh"
KIND="${1:-js}"
DURATION="${2:-10}"
need_packages wrk:wrk curl:curl sqlite3:sqlite3 perf:linux-perf
if [ -n "${3:-}" ]; then GOVBADGE="$3"; else build_release; fi

run="$WORK/profile-badge"
rm -rf "$run" && mkdir -p "$run"
port=$(free_port)
base="http://127.0.0.1:$port"
GOVBADGE_BADGE__BASE_URL="$base" GOVBADGE_SERVER__PUBLIC_BASE_URL="$base" RUST_LOG=warn \
    "$GOVBADGE" --config "$ROOT/config.toml" serve --demo --bind "127.0.0.1:$port" \
    --database "sqlite://$run/bench.db" >"$run/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
wait_http "$base/healthz"
code=$(sqlite3 "$run/bench.db" "SELECT code FROM badges WHERE status = 'active' ORDER BY code LIMIT 1")
case "$KIND" in
    js) path="/badge/$code.js" ;;
    svg) path="/badge/$code.svg" ;;
    verify) path="/verify/$code" ;;
    *) echo "unknown kind $KIND" >&2; exit 2 ;;
esac
curl -fs -o /dev/null "$base$path"
perf record -F 499 -g -o "$run/perf.data" -p "$server" -- sleep "$DURATION" 2>"$run/perf.log" &
recorder=$!
wrk -t2 -c64 -d"${DURATION}s" ${WRK_HEADER:+-H "$WRK_HEADER"} "$base$path" | grep -E "Requests/sec|Latency"
wait "$recorder"
echo "# perf: $path, self time, top 25 ($(date -u +%Y-%m-%dT%H:%MZ)); call graph: perf report -i $run/perf.data"
perf report -i "$run/perf.data" --no-children --sort symbol --stdio 2>/dev/null \
    | grep -E '^ +[0-9]+\.[0-9]+%' | sed -E 's/ +-? +-? *$//' | cut -c1-160 | head -25
