#!/usr/bin/env bash
# A flame graph (SVG) of a perf recording, e.g. the perf.data of bench/profile_badge.sh or of
# `perf record -g` over a criterion benchmark run with `--profile-time`. Installs inferno (from
# crates.io) on first use.
# Usage: bench/flamegraph.sh <perf.data> <out.svg> [title]
source "$(dirname "$0")/common.sh"
need_packages perf:linux-perf
[ $# -ge 2 ] || { echo "usage: $0 <perf.data> <out.svg> [title]" >&2; exit 2; }
command -v inferno-flamegraph >/dev/null || cargo install --locked --quiet inferno
perf script -i "$1" 2>/dev/null | inferno-collapse-perf | inferno-flamegraph --title "${3:-$1}" >"$2"
echo "$2"
