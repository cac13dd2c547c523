#!/usr/bin/env bash
# The account lists at the national register's scale: a database with the demo accounts and N
# generated unit accounts (bench/accounts_db.py: spread over every county, a tenth in 清丰县),
# `govbadge serve` on it, and each list requested R times in a row with curl by the account
# that sees it: the admin's /admin/accounts, and /office/units of the central, provincial and
# county offices. Prints each list's median and max seconds and the answer's size, then the
# server's peak RSS (VmHWM).
# Usage: bench/accounts.sh [accounts=50000] [requests=10] [govbadge binary=release build]
source "$(dirname "$0")/common.sh"
ACCOUNTS="${1:-50000}"
REQUESTS="${2:-10}"
need_packages curl:curl
if [ -n "${3:-}" ]; then GOVBADGE="$3"; else build_release; fi

local_server accounts
demo_only_database
python3 "$ROOT/bench/accounts_db.py" "$run/govbadge.db" "$ACCOUNTS"

serve_database
echo "# $ACCOUNTS unit accounts besides the demo's, $REQUESTS requests each; $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $GOVBADGE"
before=$(peak_rss_mb "$pid")
for pair in "admin:/admin/accounts" "中央编办.政务:/office/units" "河南省编办.政务:/office/units" \
    "清丰县编办.政务:/office/units"; do
    who="${pair%%:*}" path="${pair#*:}" jar="$run/cookies-$RANDOM"
    demo_login "$base" "$jar" "$who"
    time_page "$who" "$jar" "$path" "$REQUESTS"
done
echo "server peak RSS $before → $(peak_rss_mb "$pid") MB"
