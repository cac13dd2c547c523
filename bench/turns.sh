#!/usr/bin/env bash
# A/B of builds in alternating turns, the way the figures of #16 are taken on this shared
# machine (one run of each build after the other, then again; never all runs of one build in
# a row). Each build runs under `perf stat`, so the CPU per page is the process's task clock,
# not the one-decimal CPU seconds of the scripts it calls.
#
# Usage: bench/turns.sh [turns=3] <build>...
#   <build> is a binary path, optionally preceded by environment assignments in the same
#   argument: "target/release/govbadge" "_RJEM_MALLOC_CONF=narenas:1 /tmp/govbadge-old".
# MODE=rate (default): per build and turn, `bench/farm.sh $HOSTS $PAGES` (50 × 500) and then
#   the one-site crawl of `bench/crawl.sh 1`: pages/s, CPU µs and context switches per page,
#   peak RSS, crawl / nginx of that run, and farm / one-site of the turn; then, per build, the
#   best rates of all turns and their ratios.
# MODE=rss: per build and turn, the farm at $HOSTS hosts and then at $MORE_HOSTS (200): both
#   peak RSS and the ratio.
source "$(dirname "$0")/common.sh"
TURNS=3
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
    TURNS="$1"
    shift
fi
if [ "$#" -eq 0 ]; then
    echo "usage: bench/turns.sh [turns] <binary or \"VAR=value binary\">..." >&2
    exit 2
fi
MODE="${MODE:-rate}"
HOSTS="${HOSTS:-50}"
MORE_HOSTS="${MORE_HOSTS:-200}"
PAGES="${PAGES:-500}"
need_packages perf:linux-perf
out="$WORK/turns"
mkdir -p "$out"
rm -f "$out/rates"

# Runs one bench script for the build $1 under perf stat; the script's table goes to $2 and
# perf's counts to $2.perf.
run_build() {
    local build="$1" log="$2"
    shift 2
    local words
    read -r -a words <<<"$build"
    local binary="${words[${#words[@]} - 1]}"
    env "${words[@]:0:${#words[@]}-1}" BENCH_BINARY="$binary" \
        BENCH_WRAP="perf stat -e task-clock,context-switches -x, -o $log.perf --" "$@" >"$log" 2>&1
}

# A column (1-based, between the pipes) of the table row that starts with $2 in file $1.
column() { grep -m1 -- "$2" "$1" | awk -F'|' -v c="$3" '{gsub(/ /, "", $(c + 1)); print $(c + 1)}'; }
counter() { grep -m1 ",$2" "$1.perf" | cut -d, -f1; }

if [ "$MODE" = rss ]; then
    printf '| turn | build | %s hosts, MB | %s hosts, MB | ratio |\n|---:|---|---:|---:|---:|\n' "$HOSTS" "$MORE_HOSTS"
else
    printf '| turn | build | farm pages/s | farm µs/page | farm switches/page | farm RSS MB | one-site pages/s | one-site µs/page | one-site RSS MB | crawl / nginx | farm / one-site |\n'
    printf '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
fi
for turn in $(seq 1 "$TURNS"); do
    for build in "$@"; do
        log="$out/turn$turn-$(echo "$build" | md5sum | cut -c1-8)"
        if [ "$MODE" = rss ]; then
            run_build "$build" "$log-a" "$ROOT/bench/farm.sh" "$HOSTS" "$PAGES"
            run_build "$build" "$log-b" "$ROOT/bench/farm.sh" "$MORE_HOSTS" "$PAGES"
            a=$(column "$log-a" '^| *[0-9]' 5)
            b=$(column "$log-b" '^| *[0-9]' 5)
            printf '| %s | `%s` | %s | %s | %s |\n' "$turn" "$build" "$a" "$b" \
                "$(python3 -c "print(f'{($b / $a - 1) * 100:+.1f} %')")"
            continue
        fi
        run_build "$build" "$log-farm" "$ROOT/bench/farm.sh" "$HOSTS" "$PAGES"
        CRAWLERS=govbadge run_build "$build" "$log-crawl" "$ROOT/bench/crawl.sh" 1
        farm_pages=$(column "$log-farm" '^| *[0-9]' 2)
        farm_rate=$(column "$log-farm" '^| *[0-9]' 4)
        farm_rss=$(column "$log-farm" '^| *[0-9]' 5)
        one_pages=$(column "$log-crawl" '^| govbadge ' 3)
        one_rate=$(column "$log-crawl" '^| govbadge ' 5)
        one_rss=$(column "$log-crawl" '^| govbadge ' 6)
        nginx_rate=$(grep -m1 '^nginx serving' "$log-crawl" | awk '{print $(NF-1)}')
        python3 - "$turn" "$build" "$farm_pages" "$farm_rate" "$farm_rss" "$(counter "$log-farm" task-clock)" \
            "$(counter "$log-farm" context-switches)" "$one_pages" "$one_rate" "$one_rss" \
            "$(counter "$log-crawl" task-clock)" "$nginx_rate" <<'EOF'
import sys
turn, build, fp, fr, frss, fms, fcs, op, orate, orss, oms, nginx = sys.argv[1:]
fp, fr, fms, fcs, op, orate, oms, nginx = map(float, (fp, fr, fms, fcs, op, orate, oms, nginx))
print(f"| {turn} | `{build}` | {fr:,.0f} | {fms * 1000 / fp:.1f} | {fcs / fp:.2f} | {frss} | {orate:,.0f} "
      f"| {oms * 1000 / op:.1f} | {orss} | {orate / nginx:.2f} | {fr / orate:.2f} |")
EOF
        printf '%s\t%s\t%s\t%s\n' "$build" "$farm_rate" "$one_rate" "$nginx_rate" >>"$out/rates"
    done
done
if [ "$MODE" != rss ]; then
    # Best of the turns, per build: the figure least disturbed by the other tenants of this
    # shared machine (a run is only ever slowed by them), as BENCHMARKS.md's ratios are taken.
    python3 - "$out/rates" <<'EOF'
import sys
best = {}
for line in open(sys.argv[1]):
    build, farm, one, nginx = line.rstrip("\n").split("\t")
    b = best.setdefault(build, [0.0, 0.0, 0.0])
    for i, v in enumerate((farm, one, nginx)):
        b[i] = max(b[i], float(v.replace(",", "")))
print("\n| build | best farm pages/s | best one-site pages/s | best nginx pages/s | farm / one-site | crawl / nginx |")
print("|---|---:|---:|---:|---:|---:|")
for build, (farm, one, nginx) in best.items():
    print(f"| `{build}` | {farm:,.0f} | {one:,.0f} | {nginx:,.0f} | {farm / one:.2f} | {one / nginx:.2f} |")
EOF
fi
echo "# logs and perf counts: $out"
