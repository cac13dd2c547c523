#!/usr/bin/env bash
# Crawler, many sites: a farm of N hosts × P pages (distinct host names pinned to nginx on
# loopback through crawl.resolve; each host has its own copy of the generated site carrying its
# own badge code), registered in a fresh database and swept with `govbadge sweep`, politeness
# off. Reports pages per second, CPU and peak RSS of the whole sweep (reports included).
# 32 requests in flight by default, as in the one-site crawl of bench/crawl.sh (8 sites at once,
# 4 requests each; GLOBAL, SITES_AT_ONCE and PER_HOST change them; before session 24, 64 in
# flight: 16 sites of 4).
# Usage: bench/farm.sh [hosts] [pages-per-host]
source "$(dirname "$0")/common.sh"
HOSTS="${1:-200}"
PAGES="${2:-500}"
need_packages nginx:nginx-light curl:curl
build_release

run="$WORK/farm"
rm -rf "$run" && mkdir -p "$run"
db="sqlite://$run/farm.db"
RUST_LOG=warn "$GOVBADGE" --config "$ROOT/config.toml" report --database "$db" >/dev/null 2>&1 || true
python3 "$ROOT/bench/farm_db.py" "$run/farm.db" "$HOSTS" >"$run/hosts"
serve_farm "$run/hosts" "$PAGES" "$run"
port="$FARM_PORT"
trap stop_nginx EXIT
first_host=$(head -1 "$run/hosts" | cut -d' ' -f1)
for _ in $(seq 1 100); do
    curl -fs -o /dev/null -H "Host: $first_host" "http://127.0.0.1:$port/" && break
    sleep 0.1
done
curl -fs -H "Host: $first_host" "http://127.0.0.1:$port/index.html" | grep -q "$(head -1 "$run/hosts" | cut -d' ' -f2)" \
    || { echo "nginx does not serve the host's own pages" >&2; exit 1; }

resolve=$(awk -v p="$port" '{printf "%s\"%s\" = \"127.0.0.1:%s\"", (NR > 1 ? ", " : ""), $1, p}' "$run/hosts")
# The static check only (RENDER=when_needed adds the rendered check; bench/render.sh measures it).
export GOVBADGE_CRAWL__RESOLVE="{ $resolve }" GOVBADGE_CRAWL__ALLOW_PRIVATE_ADDRESSES=true \
    GOVBADGE_CRAWL__RENDER="${RENDER:-never}" \
    GOVBADGE_CRAWL__PER_HOST_RATE=1000000 GOVBADGE_CRAWL__PER_HOST_CONCURRENCY="${PER_HOST:-4}" \
    GOVBADGE_CRAWL__PER_IP_RATE=1000000 GOVBADGE_CRAWL__PER_IP_CONCURRENCY=100000 \
    GOVBADGE_CRAWL__GLOBAL_CONCURRENCY="${GLOBAL:-32}" GOVBADGE_CRAWL__SWEEP_SITE_CONCURRENCY="${SITES_AT_ONCE:-8}" \
    GOVBADGE_CRAWL__MAX_PAGES_PER_SITE=100000 GOVBADGE_CRAWL__MAX_DEPTH=100000 \
    GOVBADGE_BADGE__BASE_URL=https://bs.example.gov.cn GOVBADGE_NOTICES__ENABLED=false RUST_LOG="${RUST_LOG:-warn}"
nginx_before=$(nginx_cpu)
read -r kb secs user sys < <(measure "${BENCH_WRAP:-} '$GOVBADGE' --config '$ROOT/config.toml' sweep --database '$db' --out '$run/reports'")
nginx_used=$(python3 -c "print(f'{$(nginx_cpu) - $nginx_before:.2f}')")
pages=$(sqlite3 "$run/farm.db" "SELECT COUNT(*) FROM sweep_pages WHERE outcome = 'ok'" 2>/dev/null \
    || python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT COUNT(*) FROM sweep_pages WHERE outcome = 'ok'\").fetchone()[0])" "$run/farm.db")
sites=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM sweep_sites').fetchone()[0])" "$run/farm.db")
echo "# farm: $HOSTS hosts x $PAGES pages, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '| %5s | %7s | %8s | %9s | %12s | %13s | %10s |\n' sites pages seconds "pages/s" "peak RSS MB" "govbadge CPU s" "nginx CPU s"
printf '|%s|\n' "-------|---------|----------|-----------|--------------|----------------|------------"
printf '| %5s | %7s | %8s | %9s | %12s | %14s | %11s |\n' "$sites" "$pages" "$secs" \
    "$(python3 -c "print(f'{$pages / max($secs, 0.01):.0f}')")" "$(python3 -c "print(f'{$kb / 1024:.1f}')")" \
    "$(python3 -c "print(f'{$user + $sys:.1f}')")" "$nginx_used"
