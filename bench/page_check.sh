#!/usr/bin/env bash
# Page check: the criterion benchmark (govbadge's check and scraper's DOM parse over the same
# page mix and 5 MB page), then `grep -c` over the same bytes, the floor for raw scanning;
# prints MB/s of each and the check's ratio to the DOM parse.
# Usage: bench/page_check.sh
source "$(dirname "$0")/common.sh"
need_packages grep:grep
cd "$ROOT"
log="$WORK/page_check.log"
cargo bench --locked --bench page_check -- --noplot 2>/dev/null | tee "$log" | grep -E '^(page_check|dom_parse)|thrpt' >&2

# Criterion's "thrpt: [low mid high]": the middle figure, in MiB/s.
mid() {
    awk -v name="$1" '
        index($0, name) == 1 { found = 1 }
        found && /thrpt:/ {
            v = $(NF - 3); u = $(NF - 2)
            if (u ~ /GiB/) v *= 1024; else if (u ~ /KiB/) v /= 1024
            print v; exit
        }' "$log"
}
grep_rate() {
    local file="$1" size reps=50 start end
    size=$(stat -c %s "$file")
    start=$(date +%s.%N)
    for _ in $(seq "$reps"); do grep -c '</body>' "$file" >/dev/null; done
    end=$(date +%s.%N)
    python3 -c "print(f'{$size * $reps / ($end - $start) / 1048576:.1f}')"
}

echo "# page check, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ) (MiB/s)"
printf '| %-22s | %14s | %16s | %10s | %18s |\n' input "govbadge check" "scraper DOM parse" "grep -c" "check / DOM parse"
printf '|%s|\n' "------------------------|----------------|------------------|------------|--------------------"
for pair in "corpus_mix_11_pages:page-mix.html" "large_page/5MB:page-5mb.html"; do
    name="${pair%%:*}" file="$WORK/${pair#*:}"
    ours=$(mid "page_check/$name")
    dom=$(mid "dom_parse_scraper/$name")
    printf '| %-22s | %14.1f | %16.1f | %10s | %18s |\n' "$name" "$ours" "$dom" "$(grep_rate "$file")" \
        "$(python3 -c "print(f'{$ours / $dom:.1f}x')")"
done
