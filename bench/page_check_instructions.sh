#!/usr/bin/env bash
# The page check's instructions and mispredicted branches per pass of the real-page mix,
# counted by cachegrind (valgrind): counts, unlike timings, do not swing with the machine's
# neighbours, so two builds compare exactly. Passes 60 minus passes 10, so start-up is not
# counted. Mispredicts are cachegrind's simple predictor's, a guide to the real one.
# Usage: bench/page_check_instructions.sh [binary...]   (default: builds examples/page_check_loop)
source "$(dirname "$0")/common.sh"
need_packages valgrind:valgrind
cd "$ROOT"
if [ $# -eq 0 ]; then
    cargo build --locked --release --example page_check_loop >&2
    set -- "$ROOT/target/release/examples/page_check_loop"
fi
count() {
    valgrind --tool=cachegrind --cache-sim=no --branch-sim=yes --cachegrind-out-file=/dev/null "$1" "$2" 2>&1 >/dev/null |
        awk '/I *refs:/ { gsub(",", "", $4); i = $4 } /Mispredicts:/ { gsub(",", "", $3); m = $3 } END { print i, m }'
}
printf '| %-40s | %22s | %26s |\n' binary "instructions per pass" "mispredicted branches/pass"
for binary in "$@"; do
    read -r i10 m10 < <(count "$binary" 10)
    read -r i60 m60 < <(count "$binary" 60)
    printf '| %-40s | %22s | %26s |\n' "$(basename "$binary")" \
        "$(( (i60 - i10) / 50 ))" "$(( (m60 - m10) / 50 ))"
done
