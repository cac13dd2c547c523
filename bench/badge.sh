#!/usr/bin/env bash
# Badge endpoint against nginx: wrk on /badge/<code>.js, /badge/<code>.svg and /verify/<code>,
# govbadge serving from its in-memory snapshot, nginx serving byte-identical files with the
# same response headers (taken from govbadge's own responses), same connections and duration.
# With INSTANCES=N (N > 1), N govbadge instances share the database behind nginx as a load
# balancer (bench/nginx/balancer.conf), and wrk measures them through it.
# With CONTROL=1, nginx is measured a second time after govbadge on each path ("nginx again"):
# how far one server's own p99 moves between two runs a few seconds apart, the noise any
# comparison of p99 between two runs is read against.
# Usage: [INSTANCES=1] [CONTROL=1] bench/badge.sh [seconds] [connections]
source "$(dirname "$0")/common.sh"
DURATION="${1:-10}"
CONNECTIONS="${2:-64}"
INSTANCES="${INSTANCES:-1}"
THREADS=2
need_packages wrk:wrk nginx:nginx-light curl:curl sqlite3:sqlite3
build_release

run="$WORK/badge"
rm -rf "$run" && mkdir -p "$run/www/badge" "$run/www/verify"
port=$(free_port)
nginx_port=$(free_port)
base="http://127.0.0.1:$port"
GOVBADGE_BADGE__BASE_URL="$base" GOVBADGE_SERVER__PUBLIC_BASE_URL="$base" RUST_LOG=warn \
    ${BENCH_WRAP:-} "$GOVBADGE" --config "$ROOT/config.toml" serve --demo --bind "127.0.0.1:$port" \
    --database "sqlite://$run/bench.db" >"$run/server.log" 2>&1 &
server=$!
servers=("$server")
trap 'kill "${servers[@]}" 2>/dev/null; stop_nginx; [ -f "$run/balancer/nginx.pid" ] && kill "$(cat "$run/balancer/nginx.pid")"' EXIT
wait_http "$base/healthz"
# What wrk measures of govbadge: the one instance, or the balancer in front of all of them.
target="$base"
if [ "$INSTANCES" -gt 1 ]; then
    upstreams="server 127.0.0.1:$port;"
    for _ in $(seq 2 "$INSTANCES"); do
        more=$(free_port)
        GOVBADGE_BADGE__BASE_URL="$base" GOVBADGE_SERVER__PUBLIC_BASE_URL="$base" RUST_LOG=warn \
            "$GOVBADGE" --config "$ROOT/config.toml" serve --bind "127.0.0.1:$more" \
            --database "sqlite://$run/bench.db" >>"$run/server.log" 2>&1 &
        servers+=("$!")
        wait_http "http://127.0.0.1:$more/healthz"
        upstreams+=" server 127.0.0.1:$more;"
    done
    balancer_port=$(free_port)
    mkdir -p "$run/balancer/logs"
    sed -e "s|@PORT@|$balancer_port|" -e "s|@ROOT@|$run/balancer|" -e "s|#@UPSTREAMS@|$upstreams|" \
        "$ROOT/bench/nginx/balancer.conf" >"$run/balancer.conf"
    nginx -p "$run/balancer" -c "$run/balancer.conf" -g "pid $run/balancer/nginx.pid;"
    target="http://127.0.0.1:$balancer_port"
    wait_http "$target/healthz"
fi
code=$(sqlite3 "$run/bench.db" "SELECT code FROM badges WHERE status = 'active' ORDER BY code LIMIT 1")
[ -n "$code" ] || { echo "the demo has no badge" >&2; exit 1; }

paths=("/badge/$code.js" "/badge/$code.svg" "/verify/$code")
files=("badge/$code.js" "badge/$code.svg" "verify/$code.html")
# One nginx location per path, with govbadge's headers (minus those nginx sets itself).
locations=""
for i in 0 1 2; do
    curl -fs -D "$run/h$i" -o "$run/www/${files[$i]}" "$base${paths[$i]}"
    type=$(grep -i '^content-type:' "$run/h$i" | cut -d' ' -f2- | tr -d '\r')
    adds=$(grep -iv -E '^(HTTP/|content-type|content-length|date|etag|server|connection|transfer-encoding):?' "$run/h$i" \
        | tr -d '\r' | grep -v '^$' \
        | sed -E 's/^([^:]+): (.*)$/        add_header \1 "\2" always;/' | sed 's/\$/\\$/g')
    locations+="
    location = ${paths[$i]} {
        default_type \"$type\";
        alias $run/www/${files[$i]};
        etag on;
$adds
    }"
done
sed -e "s|@PORT@|$nginx_port|" -e "s|@ROOT@|$run|" "$ROOT/bench/nginx/badge.conf" >"$run/nginx.conf"
python3 - "$run/nginx.conf" "$locations" <<'PY'
import sys
path, locations = sys.argv[1], sys.argv[2]
text = open(path).read().replace("#@LOCATIONS@", locations)
open(path, "w").write(text)
PY
start_nginx "$run/nginx.conf" "$run"
wait_http "http://127.0.0.1:$nginx_port${paths[0]}"
for i in 0 1 2; do
    cmp -s <(curl -fs "$target${paths[$i]}") <(curl -fs "http://127.0.0.1:$nginx_port${paths[$i]}") \
        || { echo "bodies differ for ${paths[$i]}" >&2; exit 1; }
done

# wrk's --latency output: requests/s, p50 and p99.
bench() {
    local out
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$1")
    local rps p50 p99
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    echo "$rps $p50 $p99"
}

echo "# wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $(nproc) cores, $INSTANCES govbadge instance(s)$([ "$INSTANCES" -gt 1 ] && echo " behind nginx"), $(date -u +%Y-%m-%dT%H:%MZ)"
control_head="" control_rule=""
if [ -n "${CONTROL:-}" ]; then
    control_head=$(printf ' %12s | %9s |' "nginx again" p99)
    control_rule="--------------|-----------|"
fi
printf '| %-28s | %12s | %9s | %9s | %12s | %9s | %9s | %6s |%s\n' \
    path "govbadge r/s" p50 p99 "nginx r/s" p50 p99 ratio "$control_head"
printf '|%s|\n' "------------------------------|--------------|-----------|-----------|--------------|-----------|-----------|--------|$control_rule"
for i in 0 1 2; do
    read -r g50 g_p50 g_p99 < <(bench "$target${paths[$i]}")
    read -r n50 n_p50 n_p99 < <(bench "http://127.0.0.1:$nginx_port${paths[$i]}")
    control=""
    if [ -n "${CONTROL:-}" ]; then
        read -r a50 _ a_p99 < <(bench "http://127.0.0.1:$nginx_port${paths[$i]}")
        control=$(printf ' %12s | %9s |' "$a50" "$a_p99")
    fi
    ratio=$(python3 -c "print(f'{$g50 / $n50:.2f}')")
    printf '| %-28s | %12s | %9s | %9s | %12s | %9s | %9s | %6s |%s\n' \
        "${paths[$i]/$code/<code>}" "$g50" "$g_p50" "$g_p99" "$n50" "$n_p50" "$n_p99" "$ratio" "$control"
done
