#!/usr/bin/env bash
# Sitemap bomb: `govbadge crawl` of a loopback site whose robots.txt names 60 sitemaps of 10 MB
# each (bench/hostile_server.py). Prints peak RSS and seconds; the sitemaps are read only as
# far as the site's page cap.
# Usage: bench/sitemap_bomb.sh [max-pages]
source "$(dirname "$0")/common.sh"
PAGES="${1:-1000}"
need_packages curl:curl
build_release
port=$(free_port)
python3 "$ROOT/bench/hostile_server.py" "$port" --mode sitemap_bomb &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
wait_http "http://127.0.0.1:$port/robots.txt"
export GOVBADGE_CRAWL__ALLOW_PRIVATE_ADDRESSES=true GOVBADGE_CRAWL__PER_HOST_RATE=1000 \
    GOVBADGE_CRAWL__PER_IP_RATE=1000000 GOVBADGE_CRAWL__PER_IP_CONCURRENCY=100000 \
    GOVBADGE_CRAWL__PER_HOST_CONCURRENCY=8 RUST_LOG=warn
read -r kb secs user sys < <(measure "'$GOVBADGE' --config '$ROOT/config.toml' crawl http://127.0.0.1:$port/ --code 4109220000016 --max-pages $PAGES --json")
echo "# sitemap bomb: 60 sitemaps x 10 MB, page cap $PAGES, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "peak RSS $(python3 -c "print(f'{$kb / 1024:.1f}')") MB, $secs s wall, $(python3 -c "print(f'{$user + $sys:.1f}')") s CPU"
