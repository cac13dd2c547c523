#!/usr/bin/env bash
# Login flood: `govbadge serve --demo` on loopback, then N wrong passwords at once through the
# JSON API, for one account and spread over all demo accounts. Prints the answers by status,
# whether a right password still signs in, and the server's RSS before and at its peak.
# Usage: bench/login_flood.sh [parallel ...]   (default: 300 1000)
source "$(dirname "$0")/common.sh"
need_packages curl:curl
build_release
rss() { awk '/^(VmRSS|VmHWM)/ {printf "%s %.1f MB  ", $1, $2 / 1024}' "/proc/$server/status"; }
echo "# login flood against govbadge serve --demo, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
for n in ${*:-300 1000}; do
    for spread in one many; do
        # A fresh server and database for each flood, so no account starts locked.
        run="$WORK/login-flood"
        rm -rf "$run" && mkdir -p "$run"
        port=$(free_port)
        GOVBADGE_DATABASE__DATA_DIR="$run" RUST_LOG=warn "$GOVBADGE" --config "$ROOT/config.toml" serve --demo \
            --bind "127.0.0.1:$port" >"$run/serve.log" 2>&1 &
        server=$!
        trap 'kill $server 2>/dev/null || true' EXIT
        wait_http "http://127.0.0.1:$port/healthz"
        echo "idle: $(rss)"
        python3 "$ROOT/bench/login_flood.py" "http://127.0.0.1:$port" "$n" "$spread"
        echo "  server after: $(rss)"
        kill "$server"
        wait "$server" 2>/dev/null || true
    done
done
