#!/usr/bin/env bash
# Distributed sweep: 1, 2 and 4 `govbadge worker` processes sharing one PostgreSQL database
# crawl the nginx farm (N hosts x P pages, as bench/farm.sh), planned and waited for by
# `govbadge sweep --workers`. Two regimes:
#   politeness-bound: each host at PER_HOST_RATE requests a second (default 20), its pace shared
#     by the workers through the database, each worker crawling SITES_AT_ONCE sites (16): the
#     real sweep's regime, where a machine's share of hosts bounds it, not its CPU;
#   CPU-bound: politeness off, each worker pinned to one core ("a machine of one core"); this
#     machine has two, which nginx shares.
# Each regime starts with the reference: `govbadge sweep` crawling alone ("local", one core in
# the CPU-bound regime). The rendered check is off (bench/render.sh measures it).
# Then the SIGKILL run: two workers, one killed with SIGKILL mid-sweep and a new one started;
# the sweep must end with every site recorded once (0 lost, 0 duplicated).
# Usage: [REGIMES="politeness cpu"] [SIGKILL=yes] bench/workers.sh [hosts] [pages-per-host]
# (BENCHMARKS.md: `bench/workers.sh 200 50`, then `REGIMES=cpu SIGKILL=no bench/workers.sh 200 500`
# for CPU-bound runs long enough to measure.)
source "$(dirname "$0")/common.sh"
HOSTS="${1:-200}"
PAGES="${2:-50}"
need_packages nginx:nginx-light curl:curl psql:postgresql-client taskset:util-linux
[ -n "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null)" ] || need_packages initdb:postgresql
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
build_release

run="$WORK/workers"
rm -rf "$run" && mkdir -p "$run"
python3 "$ROOT/bench/farm_db.py" --sql "$run/farm.sql" "$HOSTS" >"$run/hosts"
serve_farm "$run/hosts" "$PAGES" "$run"
port="$FARM_PORT"

# A PostgreSQL server of its own, in the work directory.
pg="$run/pg"
mkdir -p "$pg"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$pg"
as_pg "$PG_BIN/initdb" -A trust -U postgres -D "$pg/data" >/dev/null
pgport=$(free_port)
as_pg "$PG_BIN/pg_ctl" -D "$pg/data" -l "$pg/log" -w \
    -o "-p $pgport -k $pg -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
stop_all() {
    stop_nginx
    as_pg "$PG_BIN/pg_ctl" -D "$pg/data" -m fast stop >/dev/null 2>&1 || true
}
trap stop_all EXIT
sql() { psql -h 127.0.0.1 -p "$pgport" -U postgres -d "$1" -tAq -c "$2"; }

resolve=$(awk -v p="$port" '{printf "%s\"%s\" = \"127.0.0.1:%s\"", (NR > 1 ? ", " : ""), $1, p}' "$run/hosts")
export GOVBADGE_CRAWL__RESOLVE="{ $resolve }" GOVBADGE_CRAWL__ALLOW_PRIVATE_ADDRESSES=true \
    GOVBADGE_CRAWL__PER_HOST_CONCURRENCY="${PER_HOST:-4}" GOVBADGE_CRAWL__PER_IP_RATE=1000000 \
    GOVBADGE_CRAWL__PER_IP_CONCURRENCY=100000 GOVBADGE_CRAWL__GLOBAL_CONCURRENCY="${GLOBAL:-64}" \
    GOVBADGE_CRAWL__SWEEP_SITE_CONCURRENCY="${SITES_AT_ONCE:-16}" \
    GOVBADGE_CRAWL__MAX_PAGES_PER_SITE=100000 GOVBADGE_CRAWL__MAX_DEPTH=100000 \
    GOVBADGE_BADGE__BASE_URL=https://bs.example.gov.cn GOVBADGE_NOTICES__ENABLED=false \
    GOVBADGE_CRAWL__RENDER=never GOVBADGE_DATABASE__MAX_CONNECTIONS=8 RUST_LOG=warn

# A fresh database $1 with the farm registered; prints its URL.
fresh_db() {
    sql postgres "CREATE DATABASE $1" >/dev/null
    local url="postgres://postgres@127.0.0.1:$pgport/$1"
    "$GOVBADGE" --config "$ROOT/config.toml" report --database "$url" >/dev/null 2>&1 || true
    psql -h 127.0.0.1 -p "$pgport" -U postgres -d "$1" -q -f "$run/farm.sql" >/dev/null
    echo "$url"
}

# Waits until the sweep on database URL $1 has listed its sites (a worker started with
# --until-idle before that would find nothing to do and exit).
wait_planned() {
    local db="${1##*/}"
    until [ "$(sql "$db" "SELECT COUNT(*) FROM sweep_claims" 2>/dev/null || echo 0)" -gt 0 ]; do sleep 0.05; done
}

# One sweep by $2 workers on database $1 (pinned one core each when $3 is "pinned"); sets SECS.
sweep_with() {
    local url="$1" workers="$2" pinning="$3" pids=() start end i
    start=$(date +%s.%N)
    "$GOVBADGE" --config "$ROOT/config.toml" sweep --workers --database "$url" --out "$run/reports" >/dev/null &
    local sweep_pid=$!
    wait_planned "$url"
    for i in $(seq 1 "$workers"); do
        local pin=""
        [ "$pinning" = pinned ] && pin="taskset -c $(((i - 1) % $(nproc)))"
        $pin "$GOVBADGE" --config "$ROOT/config.toml" worker --until-idle --database "$url" >/dev/null &
        pids+=($!)
    done
    wait "$sweep_pid"
    end=$(date +%s.%N)
    wait "${pids[@]}"
    SECS=$(python3 -c "print(f'{$end - $start:.2f}')")
}

# Sites recorded, pages checked, and duplicates (site or page recorded more than once) in $1.
tally() {
    local db="$1"
    echo "$(sql "$db" "SELECT COUNT(*) FROM sweep_sites") $(sql "$db" "SELECT COUNT(*) FROM sweep_pages WHERE outcome = 'ok'") \
$(sql "$db" "SELECT (SELECT COUNT(*) - COUNT(DISTINCT (sweep_id, badge_code)) FROM sweep_sites) + (SELECT COUNT(*) - COUNT(DISTINCT (sweep_id, badge_code, url)) FROM sweep_pages)")"
}

echo "# workers: $HOSTS hosts x $PAGES pages, $(nproc) cores, PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), $(date -u +%Y-%m-%dT%H:%MZ)"
printf '| %-17s | %7s | %5s | %7s | %8s | %9s | %8s | %10s |\n' regime workers sites pages seconds "pages/s" "vs one" duplicates
printf '|%s|\n' "-------------------|---------|-------|---------|----------|-----------|----------|------------"
for regime in ${REGIMES:-politeness cpu}; do
    if [ "$regime" = politeness ]; then
        export GOVBADGE_CRAWL__PER_HOST_RATE="${PER_HOST_RATE:-20}"
        pinning=free
    else
        export GOVBADGE_CRAWL__PER_HOST_RATE=1000000
        pinning=pinned
    fi
    # The reference: the same sweep crawled by `govbadge sweep` alone, no workers, no shared pace.
    name="farm_${regime}_local"
    url=$(fresh_db "$name")
    start=$(date +%s.%N)
    if [ "$pinning" = pinned ]; then pin="taskset -c 0"; else pin=""; fi
    $pin "$GOVBADGE" --config "$ROOT/config.toml" sweep --database "$url" --out "$run/reports" >/dev/null
    SECS=$(python3 -c "print(f'{$(date +%s.%N) - $start:.2f}')")
    read -r done pages dups < <(tally "$name")
    printf '| %-17s | %7s | %5s | %7s | %8s | %9s | %8s | %10s |\n' "$regime-bound" "local" "$done" "$pages" "$SECS" \
        "$(python3 -c "print(f'{$pages / max($SECS, 0.01):.0f}')")" "" "$dups"
    one=""
    for workers in 1 2 4; do
        name="farm_${regime}_$workers"
        url=$(fresh_db "$name")
        sweep_with "$url" "$workers" "$pinning"
        read -r done pages dups < <(tally "$name")
        rate=$(python3 -c "print(f'{$pages / max($SECS, 0.01):.0f}')")
        [ -z "$one" ] && one="$rate"
        printf '| %-17s | %7s | %5s | %7s | %8s | %9s | %7sx | %10s |\n' "$regime-bound" "$workers" "$done" "$pages" "$SECS" \
            "$rate" "$(python3 -c "print(f'{$rate / max($one, 1):.2f}')")" "$dups"
    done
done

[ "${SIGKILL:-yes}" = yes ] || exit 0
# SIGKILL: two workers at the polite pace; one is killed once a third of the sites are done.
export GOVBADGE_CRAWL__PER_HOST_RATE="${PER_HOST_RATE:-20}"
url=$(fresh_db farm_sigkill)
"$GOVBADGE" --config "$ROOT/config.toml" sweep --workers --database "$url" --out "$run/reports" >/dev/null &
sweep_pid=$!
wait_planned "$url"
"$GOVBADGE" --config "$ROOT/config.toml" worker --lease-seconds 5 --until-idle --database "$url" >/dev/null &
victim=$!
"$GOVBADGE" --config "$ROOT/config.toml" worker --lease-seconds 5 --until-idle --database "$url" >/dev/null &
survivor=$!
until [ "$(sql farm_sigkill "SELECT COUNT(*) FROM sweep_sites" 2>/dev/null || echo 0)" -ge $((HOSTS / 3)) ]; do sleep 0.2; done
held=$(sql farm_sigkill "SELECT COUNT(*) FROM sweep_claims WHERE worker IS NOT NULL")
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
killed_at=$(sql farm_sigkill "SELECT COUNT(*) FROM sweep_sites")
"$GOVBADGE" --config "$ROOT/config.toml" worker --lease-seconds 5 --until-idle --database "$url" >/dev/null &
replacement=$!
wait "$sweep_pid"
wait "$survivor" "$replacement"
read -r done pages dups < <(tally farm_sigkill)
echo
echo "# SIGKILL: a worker killed when $killed_at of $HOSTS sites were recorded ($held sites claimed by the two workers then)"
echo "sites recorded: $done of $HOSTS (lost: $((HOSTS - done))), duplicated rows: $dups, pages: $pages"
