#!/usr/bin/env bash
# The public badge snapshot at national scale: N badged sites generated in a SQLite database
# (bench/farm_db.py), `govbadge serve` started on it and on an empty database, and for each its
# snapshot load time and heap size (the server's "badge snapshot loaded" log line) and resident
# memory once it answers. Memory per badge = (RSS with N badges - RSS with none) / N.
# Usage: bench/snapshot.sh [badges=500000]
source "$(dirname "$0")/common.sh"
BADGES="${1:-500000}"
need_packages curl:curl
build_release

run="$WORK/snapshot"
rm -rf "$run" && mkdir -p "$run"
export RUST_LOG=info GOVBADGE_LOG_FORMAT=json GOVBADGE_NOTICES__ENABLED=false

# Serves database $1 until it answers; prints "<load ms> <badges> <RSS KB> <heap bytes>", and
# stops it.
measure_serve() {
    local db="$1" log="$2" port pid
    port=$(free_port)
    "$GOVBADGE" --config "$ROOT/config.toml" serve --database "sqlite://$db" --bind "127.0.0.1:$port" 2>"$log" >/dev/null &
    pid=$!
    wait_http "http://127.0.0.1:$port/healthz"
    sleep 1
    local rss
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    python3 - "$log" "$rss" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    try:
        event = json.loads(line)
    except ValueError:
        continue
    fields = event.get("fields", {})
    if fields.get("message") == "badge snapshot loaded":
        print(fields["elapsed_ms"], fields["badges"], sys.argv[2], fields.get("heap_bytes", 0))
PY
}

for n in 0 "$BADGES"; do
    db="$run/badges-$n.db"
    "$GOVBADGE" --config "$ROOT/config.toml" report --database "sqlite://$db" >/dev/null 2>&1 || true
    [ "$n" -gt 0 ] && python3 "$ROOT/bench/farm_db.py" "$db" "$n" >/dev/null
    read -r ms count kb heap < <(measure_serve "$db" "$run/serve-$n.log")
    echo "$n $ms $count $kb $heap" >>"$run/figures"
done
read -r _ _ _ empty_kb _ < <(head -1 "$run/figures")
read -r n ms count kb heap < <(tail -1 "$run/figures")
echo "# snapshot: $count badges, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "| badges | load ms | RSS MB | RSS MB, no badges | bytes per badge (RSS) | snapshot heap bytes per badge |"
echo "|-------:|--------:|-------:|------------------:|----------------------:|------------------------------:|"
printf '| %s | %s | %.1f | %.1f | %.0f | %.0f |\n' "$count" "$ms" "$(python3 -c "print($kb / 1024)")" \
    "$(python3 -c "print($empty_kb / 1024)")" "$(python3 -c "print(($kb - $empty_kb) * 1024 / max($count, 1))")" \
    "$(python3 -c "print($heap / max($count, 1))")"
