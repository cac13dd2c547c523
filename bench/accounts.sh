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
db="sqlite://$run/govbadge.db"
"$GOVBADGE" --config "$ROOT/config.toml" serve --database "$db" --bind "127.0.0.1:$port" --demo >"$run/demo.log" 2>&1 &
pid=$!
wait_http "$base/healthz"
kill "$pid"; wait "$pid" 2>/dev/null || true
python3 "$ROOT/bench/accounts_db.py" "$run/govbadge.db" "$ACCOUNTS"

"$GOVBADGE" --config "$ROOT/config.toml" serve --database "$db" --bind "127.0.0.1:$port" >"$run/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
wait_http "$base/healthz"
echo "# $ACCOUNTS unit accounts besides the demo's, $REQUESTS requests each; $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $GOVBADGE"
before=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
for pair in "admin:/admin/accounts" "中央编办.政务:/office/units" "河南省编办.政务:/office/units" \
    "清丰县编办.政务:/office/units"; do
    who="${pair%%:*}" path="${pair#*:}" jar="$run/cookies-$RANDOM"
    demo_login "$base" "$jar" "$who"
    for _ in $(seq 1 "$REQUESTS"); do
        curl -s -b "$jar" -o "$run/page.html" -w '%{http_code} %{time_total} %{size_download}\n' "$base$path"
    done | python3 -c "
import statistics, sys
rows = [line.split() for line in sys.stdin]
codes = sorted({r[0] for r in rows})
secs = sorted(float(r[1]) for r in rows)
print(f'{\"$who\"} {\"$path\"}: HTTP {\",\".join(codes)}, median {statistics.median(secs):.3f} s, max {secs[-1]:.3f} s, {int(rows[-1][2]) / 1024:.1f} KB')"
done
after=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
echo "server peak RSS $(python3 -c "print(f'{$before / 1024:.1f} → {$after / 1024:.1f}')") MB"
