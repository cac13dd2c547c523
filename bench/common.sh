# Shared helpers of the benchmark scripts (sourced, not run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${BENCH_WORK:-$ROOT/target/bench}"
TOOLS="$ROOT/target/bench-tools"
mkdir -p "$WORK"

# Debian packages the benchmarks use, installed when missing.
need_packages() {
    local missing=()
    for pair in "$@"; do
        local cmd="${pair%%:*}" pkg="${pair#*:}"
        command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "installing: ${missing[*]}" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# The release binary, built here; BENCH_BINARY=<path> runs that binary instead (A/B runs of
# two builds kept aside).
build_release() {
    if [ -n "${BENCH_BINARY:-}" ]; then
        GOVBADGE="$BENCH_BINARY"
        return
    fi
    (cd "$ROOT" && cargo build --release --locked --quiet --bin govbadge)
    GOVBADGE="$ROOT/target/release/govbadge"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() {
    for _ in $(seq 1 300); do
        curl -fs -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "no answer from $1" >&2
    return 1
}

# Starts nginx with the config file $1 (prefix $2); sets NGINX_PID_FILE.
start_nginx() {
    local conf="$1" prefix="$2"
    mkdir -p "$prefix/logs"
    nginx -p "$prefix" -c "$conf" -g "pid $prefix/nginx.pid;"
    NGINX_PID_FILE="$prefix/nginx.pid"
}

# Serves the site directory $1 with nginx from the fresh work directory $2, stopped when the
# script exits; sets PORT and URL.
serve_site() {
    local site="$1" run="$2"
    rm -rf "$run" && mkdir -p "$run"
    PORT=$(free_port)
    sed -e "s|@PORT@|$PORT|" -e "s|@ROOT@|$run|" -e "s|@SITE@|$site|" "$ROOT/bench/nginx/site.conf" >"$run/nginx.conf"
    start_nginx "$run/nginx.conf" "$run"
    trap stop_nginx EXIT
    URL="http://127.0.0.1:$PORT/"
    wait_http "$URL"
}

stop_nginx() {
    [ -n "${NGINX_PID_FILE:-}" ] && [ -f "$NGINX_PID_FILE" ] && kill "$(cat "$NGINX_PID_FILE")" 2>/dev/null || true
}

# Peak resident set size (KB) and wall seconds of a shell command line (run with exec, so
# the figures are the command's own): prints "<kb> <wall seconds> <user seconds> <system seconds>".
measure() {
    local out
    out=$(mktemp)
    /usr/bin/time -f "%M %e %U %S" -o "$out" bash -c "exec $1" >/dev/null 2>"${BENCH_STDERR:-/dev/null}" || true
    tail -1 "$out"
    rm -f "$out"
}

# CPU seconds (user + system) the nginx workers of the running instance have used.
nginx_cpu() {
    local total=0 pid
    for pid in $(pgrep -P "$(cat "$NGINX_PID_FILE")"); do
        total=$(awk -v t="$total" -v hz="$(getconf CLK_TCK)" '{print t + ($14 + $15) / hz}' "/proc/$pid/stat")
    done
    echo "$total"
}

# Generates the benchmark site of $2 pages carrying badge code $3 into $1, unless it is there.
generate_site() {
    local dir="$1" pages="$2" code="$3"
    if [ "$(cat "$dir/.pages" 2>/dev/null)" != "$pages" ]; then
        rm -rf "$dir"
        python3 "$ROOT/bench/gen_site.py" "$dir" "$pages" "$code" >"$WORK/gen.out"
        echo "$pages" >"$dir/.pages"
    fi
}

# The farm: one copy of the generated site of $2 pages per host of the "host code" lines in
# file $1, each carrying its host's badge code, served by nginx from the work directory $3 by
# Host header (the copies are kept in target/bench between runs); sets FARM_PORT.
serve_farm() {
    local hosts_file="$1" pages="$2" run="$3" hosts site sites
    hosts=$(wc -l <"$hosts_file")
    site="$WORK/farm-site-$pages"
    generate_site "$site" "$pages" "@@CODE@@"
    sites="$WORK/farm-sites-$hosts-$pages"
    if [ "$(cat "$sites/.hosts" 2>/dev/null)" != "$hosts" ]; then
        rm -rf "$sites"
        python3 "$ROOT/bench/farm_sites.py" "$site" "$hosts_file" "$sites" >/dev/null
        echo "$hosts" >"$sites/.hosts"
    fi
    FARM_PORT=$(free_port)
    sed -e "s|@PORT@|$FARM_PORT|" -e "s|@ROOT@|$run|" -e "s|@SITE@|$sites/\$host|" "$ROOT/bench/nginx/site.conf" \
        >"$run/nginx.conf"
    start_nginx "$run/nginx.conf" "$run"
}

# Runs `govbadge serve --demo` once on a fresh database at $run/govbadge.db, on $port and $base
# (as `local_server` sets them), then stops it: the demo's accounts and applications, for
# scripts that add their own. Sets DB (its URL).
demo_only_database() {
    DB="sqlite://$run/govbadge.db"
    "$GOVBADGE" --config "$ROOT/config.toml" serve --database "$DB" --bind "127.0.0.1:$port" --demo \
        >"$run/demo.log" 2>&1 &
    local pid=$!
    wait_http "$base/healthz"
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

# The demo accounts in a fresh database of the work directory $1 ($1/govbadge.db; `serve --demo`
# run once on the base URL $2), then $3 generated sites of one county with results in a finished
# sweep (bench/dashboard_db.py; $4 pages a site when given). Sets DB (its URL).
demo_database() {
    local run="$1" base="$2" port="${2##*:}"
    demo_only_database
    python3 "$ROOT/bench/dashboard_db.py" "$run/govbadge.db" "$3" ${4:+"$4"}
}

# Signs the demo's account $3 in at the base URL $1, into the cookie jar $2.
demo_login() {
    local base="$1" jar="$2" name="$3" token
    token=$(curl -fs -c "$jar" "$base/login" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//;s/"$//')
    curl -fs -b "$jar" -c "$jar" -o /dev/null --data-urlencode "name=$name" \
        --data-urlencode "password=Demo-2026-pass" --data-urlencode "csrf=$token" "$base/login"
}

# Signs the city supervisor of the demo (濮阳市监督.政务: every generated site in scope) in at
# the base URL $1, into the cookie jar $2.
supervisor_login() {
    demo_login "$1" "$2" "濮阳市监督.政务"
}

# A fresh work directory $WORK/$1 for a local `govbadge serve` (sets run), a free loopback port
# (port) and its base URL (base), which the server is told is its public address.
local_server() {
    run="$WORK/$1"
    rm -rf "$run" && mkdir -p "$run"
    port=$(free_port)
    base="http://127.0.0.1:$port"
    export RUST_LOG=warn GOVBADGE_SERVER__PUBLIC_BASE_URL="$base"
}

# Requests the page $3 R times in a row ($4) with the cookie jar $2, signed in as $1; prints
# its statuses, median and max seconds and the size of the last answer.
time_page() {
    local who="$1" jar="$2" path="$3" requests="$4"
    for _ in $(seq 1 "$requests"); do
        curl -s -b "$jar" -o /dev/null -w '%{http_code} %{time_total} %{size_download}\n' "$base$path"
    done | python3 -c "
import statistics, sys
rows = [line.split() for line in sys.stdin]
codes = sorted({r[0] for r in rows})
secs = sorted(float(r[1]) for r in rows)
print(f'{sys.argv[1]} {sys.argv[2]}: HTTP {\",\".join(codes)}, median {statistics.median(secs):.3f} s, max {secs[-1]:.3f} s, {int(rows[-1][2]) / 1024:.1f} KB')" "$who" "$path"
}

# Serves the database $DB with `govbadge serve` on $port, stopped when the script exits; sets
# pid and prints nothing until it answers.
serve_database() {
    "$GOVBADGE" --config "$ROOT/config.toml" serve --database "$DB" --bind "127.0.0.1:$port" >"$run/serve.log" 2>&1 &
    pid=$!
    trap 'kill $pid 2>/dev/null || true' EXIT
    wait_http "$base/healthz"
}

# The peak RSS of the process $1, in MB.
peak_rss_mb() {
    awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"
}
