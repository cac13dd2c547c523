#!/usr/bin/env bash
# The reviewers' workbench (/applications) with years of applications: a database with the
# demo's data and N more applications of 清丰县 (bench/applications_db.py: nine in ten issued,
# the rest at the county's or the central review), `govbadge serve` on it, and the page
# requested R times in a row with curl by 中央编办, the city supervisor and the county office.
# Prints each one's median and max seconds and the answer's size, then the server's peak RSS.
# Usage: bench/workbench.sh [applications=20000] [requests=5] [govbadge binary=release build]
source "$(dirname "$0")/common.sh"
APPLICATIONS="${1:-20000}"
REQUESTS="${2:-5}"
need_packages curl:curl
if [ -n "${3:-}" ]; then GOVBADGE="$3"; else build_release; fi

local_server workbench
demo_only_database
python3 "$ROOT/bench/applications_db.py" "$run/govbadge.db" "$APPLICATIONS"

serve_database
echo "# $APPLICATIONS applications besides the demo's, $REQUESTS requests each; $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $GOVBADGE"
before=$(peak_rss_mb "$pid")
for who in 中央编办.政务 濮阳市监督.政务 清丰县编办.政务; do
    jar="$run/cookies-$RANDOM"
    demo_login "$base" "$jar" "$who"
    time_page "$who" "$jar" /applications "$REQUESTS"
done
echo "server peak RSS $before → $(peak_rss_mb "$pid") MB"
