#!/usr/bin/env bash
# The rendered check against the static check on the same pages: a generated site of realistic
# government pages (~5 % non-compliant) served by nginx on loopback, crawled by `govbadge crawl`
# with crawl.render = never, when_needed and always (politeness off, 8 requests in flight,
# render_tabs browser tabs): pages per second, pages rendered, and the peak memory (PSS) of
# govbadge itself and of its headless chromium, sampled every 20 ms.
# Usage: bench/render.sh [runs] [pages] [tabs]
source "$(dirname "$0")/common.sh"
RUNS="${1:-3}"
PAGES="${2:-200}"
TABS="${3:-2}"
CODE=4109220000016
need_packages nginx:nginx-light curl:curl chromium:chromium
build_release

# The site links its badge at badge.bench.test, served by the same nginx (a 110×55 image and an
# empty script), so the browser loads the badge as it would from the badge service.
site="$WORK/render-site-$PAGES"
if [ "$(cat "$site/.pages" 2>/dev/null)" != "$PAGES" ]; then
    rm -rf "$site"
    python3 "$ROOT/bench/gen_site.py" "$site" "$PAGES" "$CODE" --badge-base http://badge.bench.test >"$WORK/gen.out"
    echo "$PAGES" >"$site/.pages"
fi
mkdir -p "$site/badge"
printf '<svg xmlns="http://www.w3.org/2000/svg" width="110" height="55" viewBox="0 0 110 55"><rect width="110" height="55" fill="#c8161d"/></svg>' >"$site/badge/$CODE.svg"
: >"$site/badge/$CODE.js"
run="$WORK/render"
serve_site "$site" "$run"
port=$PORT url=$URL

export GOVBADGE_CRAWL__ALLOW_PRIVATE_ADDRESSES=true GOVBADGE_CRAWL__PER_HOST_RATE=1000000 \
    GOVBADGE_CRAWL__PER_IP_RATE=1000000 GOVBADGE_CRAWL__PER_IP_CONCURRENCY=100000 \
    GOVBADGE_CRAWL__PER_HOST_CONCURRENCY=8 GOVBADGE_CRAWL__GLOBAL_CONCURRENCY=8 \
    GOVBADGE_CRAWL__MAX_PAGES_PER_SITE=1000000 GOVBADGE_CRAWL__MAX_DEPTH=100000 \
    GOVBADGE_CRAWL__RENDER_TABS="$TABS" GOVBADGE_CRAWL__RENDER_SCREENSHOTS_PER_SITE=1000000 RUST_LOG=warn \
    GOVBADGE_CRAWL__RESOLVE="{ \"badge.bench.test\" = \"127.0.0.1:$port\" }"

echo "# $PAGES-page site, $(nproc) cores, $TABS tabs, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '| %-11s | %3s | %5s | %8s | %7s | %9s | %13s | %15s |\n' render run pages rendered seconds "pages/s" "govbadge MB" "chromium MB"
printf '|%s|\n' "-------------|-----|-------|----------|---------|-----------|---------------|-----------------"
for mode in never when_needed always; do
    for r in $(seq 1 "$RUNS"); do
        start=$(date +%s.%N)
        GOVBADGE_CRAWL__RENDER=$mode "$GOVBADGE" --config "$ROOT/config.toml" crawl "$url" --code $CODE \
            --badge-base http://badge.bench.test --json >"$run/out" 2>/dev/null &
        pid=$!
        read -r own tree < <(python3 "$ROOT/bench/render_mem.py" "$pid")
        [ "$own" = 0.0 ] && own="(ended first)"
        wait "$pid" || true
        secs=$(python3 -c "import time; print(f'{time.time() - $start:.2f}')")
        pages=$(grep -c '"outcome":"ok"' "$run/out" || true)
        rendered=$(grep '"url"' "$run/out" | grep -c '"rendered":{' || true)
        rate=$(python3 -c "print(f'{$pages / max($secs, 0.01):.1f}')")
        printf '| %-11s | %3s | %5s | %8s | %7s | %9s | %13s | %15s |\n' "$mode" "$r" "$pages" "$rendered" "$secs" "$rate" "$own" "$tree"
    done
done
echo
echo "verdicts of the last 'always' run (static / rendered):"
python3 - "$run/out" <<'PY'
import collections, json, sys
pairs = collections.Counter()
for line in open(sys.argv[1]):
    page = json.loads(line)
    if page.get("summary"):
        continue
    rendered = (page.get("rendered") or {}).get("verdict", "-")
    pairs[(page.get("verdict", page["outcome"]), rendered)] += 1
for (static, rendered), n in sorted(pairs.items()):
    print(f"  {static:12} {rendered:20} {n}")
PY
