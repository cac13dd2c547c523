#!/usr/bin/env bash
# A sweep of N sites of which 5 are hostile (Crawl-delay of an hour, Retry-After of an hour on
# every page, a one-byte-a-second drip, a sitemap bomb, endless links; bench/hostile_server.py),
# the rest small static sites on nginx. With crawl.max_site_seconds = B, the sweep must end
# within about B seconds plus the time of the honest sites. Prints the wall time, peak RSS and
# what each hostile site's results say.
# Usage: bench/hostile_sweep.sh [sites] [budget-seconds]
source "$(dirname "$0")/common.sh"
HOSTS="${1:-50}"
BUDGET="${2:-20}"
PAGES=20
need_packages nginx:nginx-light curl:curl
build_release

site="$WORK/hostile-site-$PAGES"
generate_site "$site" "$PAGES" "@@CODE@@"
run="$WORK/hostile-sweep"
rm -rf "$run" && mkdir -p "$run"
db="sqlite://$run/sweep.db"
RUST_LOG=warn "$GOVBADGE" --config "$ROOT/config.toml" report --database "$db" >/dev/null 2>&1 || true
python3 "$ROOT/bench/farm_db.py" "$run/sweep.db" "$HOSTS" >"$run/hosts"
modes=(crawl_delay retry_after drip sitemap_bomb endless)
head -5 "$run/hosts" | awk -v m="${modes[*]}" 'BEGIN { split(m, mode, " ") } { print $1, mode[NR], $2 }' >"$run/modes"
python3 "$ROOT/bench/farm_sites.py" "$site" "$run/hosts" "$run/sites" >/dev/null

nginx_port=$(free_port)
sed -e "s|@PORT@|$nginx_port|" -e "s|@ROOT@|$run|" -e "s|@SITE@|$run/sites/\$host|" "$ROOT/bench/nginx/site.conf" >"$run/nginx.conf"
start_nginx "$run/nginx.conf" "$run"
hostile_port=$(free_port)
python3 "$ROOT/bench/hostile_server.py" "$hostile_port" "$run/modes" &
hostile=$!
trap 'stop_nginx; kill $hostile 2>/dev/null || true' EXIT
wait_http "http://127.0.0.1:$hostile_port/"

resolve=$(awk -v n="$nginx_port" -v h="$hostile_port" '{printf "%s\"%s\" = \"127.0.0.1:%s\"", (NR > 1 ? ", " : ""), $1, (NR <= 5 ? h : n)}' "$run/hosts")
export GOVBADGE_CRAWL__RESOLVE="{ $resolve }" GOVBADGE_CRAWL__ALLOW_PRIVATE_ADDRESSES=true \
    GOVBADGE_CRAWL__PER_HOST_RATE=50 GOVBADGE_CRAWL__MAX_SITE_SECONDS="$BUDGET" \
    GOVBADGE_CRAWL__PER_IP_RATE=1000000 GOVBADGE_CRAWL__PER_IP_CONCURRENCY=100000 \
    GOVBADGE_CRAWL__REQUEST_TIMEOUT_SECONDS=10 GOVBADGE_CRAWL__MAX_RETRY_AFTER_SECONDS=3600 \
    GOVBADGE_BADGE__BASE_URL=https://bs.example.gov.cn GOVBADGE_NOTICES__ENABLED=false RUST_LOG=warn
read -r kb secs user sys < <(measure "'$GOVBADGE' --config '$ROOT/config.toml' sweep --database '$db' --out '$run/reports'")
echo "# sweep of $HOSTS sites, 5 hostile, max_site_seconds = $BUDGET, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "wall $secs s, peak RSS $(python3 -c "print(f'{$kb / 1024:.1f}')") MB, CPU $(python3 -c "print(f'{$user + $sys:.1f}')") s"
python3 - "$run/sweep.db" "$run/modes" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
modes = {code: mode for host, mode, code in (l.split() for l in open(sys.argv[2]))}
rows = db.execute("SELECT badge_code, site_verdict, pages, compliant, urls FROM sweep_sites ORDER BY badge_code").fetchall()
print(f"sites recorded: {len(rows)}; honest compliant: {sum(1 for r in rows if r[0] not in modes and r[1] == 'compliant')}")
for code, verdict, pages, compliant, urls in rows:
    if code in modes:
        outcomes = dict(db.execute("SELECT outcome, COUNT(*) FROM sweep_pages WHERE badge_code = ? GROUP BY outcome", (code,)).fetchall())
        print(f"  {modes[code]:13} {verdict:14} checked {pages:4}  outcomes {outcomes}")
PY
