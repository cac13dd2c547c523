#!/usr/bin/env bash
# The supervisors' dashboard at scale: a database with the demo accounts and N generated sites
# of one county (each with a result in a finished sweep), `govbadge serve` on it, and the
# dashboard of the city supervisor (濮阳市监督.政务: every site in scope) requested once cold and
# then R times in a row with curl (median, p95 and max seconds per request), with the view
# counted at every request and with the default reuse period.
# Usage: bench/dashboard.sh [sites=100000] [requests=20] [govbadge binary=release build]
source "$(dirname "$0")/common.sh"
SITES="${1:-100000}"
REQUESTS="${2:-20}"
need_packages curl:curl
if [ -n "${3:-}" ]; then GOVBADGE="$3"; else build_release; fi

local_server dashboard
start=$(date +%s.%N)
demo_database "$run" "$base" "$SITES"
db="$DB"
echo "# $SITES sites: demo accounts and sites loaded in $(python3 -c "import time; print(f'{time.time() - $start:.0f}')") s; $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"

# Each regime: a fresh server, one cold request (the view counted), then R in a row.
# refresh=0 counts the view at every request; refresh=30 is the default reuse period.
for refresh in 0 30; do
    GOVBADGE_SERVER__DASHBOARD_REFRESH_SECONDS=$refresh "$GOVBADGE" --config "$ROOT/config.toml" serve \
        --database "$db" --bind "127.0.0.1:$port" >"$run/serve-$refresh.log" 2>&1 &
    pid=$!
    trap 'kill $pid 2>/dev/null || true' EXIT
    wait_http "$base/healthz"
    jar="$run/cookies-$refresh"
    supervisor_login "$base" "$jar"
    read -r status cold < <(curl -s -b "$jar" -o "$run/dashboard.html" -w '%{http_code} %{time_total}\n' "$base/dashboard")
    [ "$status" = 200 ] || { echo "dashboard answered $status" >&2; exit 1; }
    for _ in $(seq 1 "$REQUESTS"); do
        curl -s -b "$jar" -o /dev/null -w '%{time_total}\n' "$base/dashboard"
    done >"$run/times-$refresh"
    python3 - "$run/times-$refresh" "$refresh" "$cold" <<'PY'
import statistics, sys
times = sorted(float(t) for t in open(sys.argv[1]))
p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
print(f"refresh {sys.argv[2]} s: cold {float(sys.argv[3]):.3f} s; then GET /dashboard x{len(times)}: "
      f"median {statistics.median(times):.3f} s, p95 {p95:.3f} s, max {times[-1]:.3f} s")
PY
    echo "server peak RSS: $(awk '/VmHWM/ {print $2 / 1024 " MB"}' /proc/$pid/status)"
    kill "$pid"; wait "$pid" 2>/dev/null || true
done
