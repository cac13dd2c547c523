#!/usr/bin/env bash
# Crawler, one large site: a generated site of realistic government pages (30-80 KB, UTF-8
# and GBK, navigation, pagination, footers, ~5 % non-compliant) served by nginx on loopback,
# crawled with politeness off by `govbadge crawl` (which also checks every page), spider_cli
# and `wget --spider -r`, several runs each: pages found, pages per second, peak RSS; then
# nginx's own serving rate for the same pages (wrk, as many connections as the crawl uses),
# the ceiling a crawler on this machine is measured against.
# Usage: bench/crawl.sh [runs] [pages]   (CRAWLERS="govbadge" leaves the other tools out;
# BENCH_WRAP="perf record -g -o F --" runs govbadge under a profiler, as in bench/farm.sh)
source "$(dirname "$0")/common.sh"
RUNS="${1:-5}"
PAGES="${2:-10000}"
CODE=4109220000016
need_packages nginx:nginx-light wget:wget curl:curl wrk:wrk
build_release
SPIDER="$TOOLS/bin/spider"
if [ ! -x "$SPIDER" ] && [[ " ${CRAWLERS:-spider} " == *" spider "* ]]; then
    echo "installing spider_cli (once)…" >&2
    cargo install spider_cli --locked --version 2.53.9 --root "$TOOLS" --quiet
fi

site="$WORK/site-$PAGES"
generate_site "$site" "$PAGES" "$CODE"
run="$WORK/crawl"
serve_site "$site" "$run"
port=$PORT url=$URL

# Politeness off: no rate limit, 32 requests in flight, no page or depth cap below the site.
# The static check only, like the other tools (RENDER=when_needed adds the rendered check of
# pages whose badge a script may write; bench/render.sh measures that check).
export GOVBADGE_CRAWL__RENDER="${RENDER:-never}" GOVBADGE_CRAWL__ALLOW_PRIVATE_ADDRESSES=true GOVBADGE_CRAWL__PER_HOST_RATE=1000000 \
    GOVBADGE_CRAWL__PER_IP_RATE=1000000 GOVBADGE_CRAWL__PER_IP_CONCURRENCY=100000 \
    GOVBADGE_CRAWL__PER_HOST_CONCURRENCY=32 GOVBADGE_CRAWL__GLOBAL_CONCURRENCY=32 \
    GOVBADGE_CRAWL__MAX_PAGES_PER_SITE=1000000 GOVBADGE_CRAWL__MAX_DEPTH=100000 RUST_LOG=warn

declare -A COMMAND=(
    [govbadge]="${BENCH_WRAP:-} '$GOVBADGE' --config '$ROOT/config.toml' crawl '$url' --code $CODE --badge-base https://bs.example.gov.cn --json >'$run/out' 2>/dev/null"
    [spider]="'$SPIDER' --url '$url' crawl --output-links >'$run/out' 2>/dev/null"
    [wget]="wget --spider -r -l inf -nv -e robots=off --no-parent -P '$run/wget' -o '$run/out' '$url'"
)
found_govbadge() { grep -c '"outcome":"ok"' "$run/out"; }
found_spider() { grep -E '^https?://' "$run/out" | sort -u | wc -l; }
found_wget() { grep -c ' URL:' "$run/out"; }

echo "# $PAGES-page site ($(du -sh --exclude=.pages "$site" | cut -f1)), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '| %-9s | %3s | %7s | %8s | %9s | %12s | %8s | %8s |\n' tool run found seconds "pages/s" "peak RSS MB" "CPU s" "nginx s"
printf '|%s|\n' "-----------|-----|---------|----------|-----------|--------------|----------|---------"
GOVBADGE_RATES=()
for tool in ${CRAWLERS:-govbadge spider wget}; do
    for r in $(seq 1 "$RUNS"); do
        nginx_before=$(nginx_cpu)
        read -r kb secs user sys < <(measure "${COMMAND[$tool]}")
        nginx_used=$(python3 -c "print(f'{$(nginx_cpu) - $nginx_before:.2f}')")
        found=$("found_$tool")
        rate=$(python3 -c "print(f'{$found / max($secs, 0.01):.0f}')")
        [ "$tool" = govbadge ] && GOVBADGE_RATES+=("$rate")
        printf '| %-9s | %3s | %7s | %8s | %9s | %12s | %8s | %8s |\n' "$tool" "$r" "$found" "$secs" "$rate" \
            "$(python3 -c "print(f'{$kb / 1024:.1f}')")" "$(python3 -c "print(f'{$user + $sys:.1f}')")" "$nginx_used"
    done
done

# nginx's own rate for the same pages: wrk requests every page in turn over 32 connections
# (govbadge's requests in flight), 2 threads, 10 s, in this same run.
(cd "$site" && find . -name '*.html' | sed 's|^\.||') >"$run/pages"
echo / >>"$run/pages"
nginx_rate=$(PAGES_FILE="$run/pages" wrk -t2 -c32 -d10s -s "$ROOT/bench/nginx_pages.lua" "$url" \
    | awk '/^Requests\/sec:/ {print $2}')
echo
echo "nginx serving the same pages (wrk -t2 -c32 -d10s over all $(wc -l <"$run/pages") URLs): $nginx_rate pages/s"
echo "govbadge crawl / nginx serving: $(python3 -c "
import statistics, sys
rates = [float(r) for r in sys.argv[2:]]
print(f'{statistics.median(rates) / float(sys.argv[1]):.2f} (median of {len(rates)} runs)')
" "$nginx_rate" "${GOVBADGE_RATES[@]}")"
