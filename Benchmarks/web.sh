#!/usr/bin/env bash
# The web workspace under load (issue 21): wrk (Debian) against a signed-in clerk's work queue
# (我的待办, the landing page) and an item page, 32 connections, on a release build, with the
# reference in the same run: pgbench running the very SELECTs those pages run (taken from
# PostgreSQL's log of one request each; prepared, as the driver prepares them), 32 clients, on the same server.
# Goals: page rate >= 0.5x pgbench's, p99 < 25 ms, page weight (HTML + CSS) < 60 KB.
# Usage: Benchmarks/web.sh [SECONDS]   (LUNZHI_BENCH_CONFIG=debug for a debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/lib.sh
seconds=${1:-10}

lunzhi_ensure_system_packages wrk
bench_setup
web_port=$(lunzhi_free_port)
bench_serve "$bin" --web-listen "127.0.0.1:$web_port" --pool-size 16
bench_wait_port "$web_port"
bench_console_fixture "$served_port"

# Gansu chairs this year: its queue holds 30 items awaiting acceptance, the consultation to open,
# and its own drafts. Their passphrases are taken as chosen (the web asks for one first).
psql -q -c "INSERT INTO agenda_item (mechanism_code, member_code, filed_by, category, track, title, body, created_at, updated_at)
            SELECT 'NW5', 'QH', (SELECT id FROM principal WHERE name = 'op'), 'policy', 'regular',
                   '青海议题 ' || g, repeat('协商', 200), now(), now() FROM generate_series(1, 30) g"
psql -q -c "UPDATE agenda_item SET state = 'submitted' WHERE member_code = 'QH'"
psql -q -c "UPDATE principal SET passphrase_set_at = now()"
psql -q -c "VACUUM ANALYZE"

# Sign in as the browser does: the sign-in form's token, then the session cookie.
base="http://127.0.0.1:$web_port"
jar="$work/cookies"
token=$(curl -s -c "$jar" "$base/signin" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "_csrf=$token" --data-urlencode "name=clerk-gs" \
    --data-urlencode "secret=$gs" "$base/signin"
session=$(awk '$6 == "lunzhi_session" { print $7 }' "$jar")
[ -n "$session" ] || { echo "could not sign in" >&2; exit 1; }
cookie="Cookie: lunzhi_session=$session"
item=$(psql -tA -c "SELECT min(id) FROM agenda_item WHERE member_code = 'QH'")

# The SQL a page runs: PostgreSQL logs one request's statements with their parameters.
page_sql() {
    local path=$1 out=$2 from
    curl -s -o /dev/null -H "$cookie" "$base$path"  # the session's once-a-minute touch happens here, not below
    psql -q -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 0.5
    from=$(wc -l <"$work/postgres.log")
    curl -s -o /dev/null -H "$cookie" "$base$path"
    sleep 0.5
    psql -q -c "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
    python3 Benchmarks/statements_from_log.py "$work/postgres.log" "$from" | grep -v 'log_min_duration_statement\|pg_reload_conf' >"$out"
}

measure() {
    local name=$1 path=$2 script="$work/$1.sql" weight css out rate p99 ref
    page_sql "$path" "$script"
    weight=$(curl -s -H "$cookie" "$base$path" | wc -c)
    css=$(curl -s "$base/assets/site.css" | wc -c)
    out=$(wrk -t 2 -c 32 -d "${seconds}s" --latency -H "$cookie" "$base$path")
    if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "$name: errors under load" >&2; exit 1; fi
    rate=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    if [ -n "${LUNZHI_BENCH_KEEP:-}" ]; then mkdir -p "$LUNZHI_BENCH_KEEP"; cp "$script" "$LUNZHI_BENCH_KEEP/"; fi
    rm -f "$work"/pglog*
    ref=$(pgbench -n -M prepared -c 32 -j 2 -T "$seconds" -l --log-prefix="$work/pglog" -f "$script" 2>&1 |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
    # pgbench's own tail, from its per-transaction log (microseconds in the third column).
    ref_p99=$(cat "$work"/pglog* | awk '{ print $3 }' | sort -n | awk '{ v[NR] = $1 } END { printf "%.2fms", v[int(NR * 0.99)] / 1000 }')
    printf '%s (%s): %s statements per page; wrk 32 connections: %.0f pages/s, p99 %s\n' \
        "$name" "$path" "$(wc -l <"$script")" "$rate" "$p99"
    printf '  pgbench, the same statements, 32 clients: %.0f pages/s, p99 %s   ratio %.2f (goal >= 0.5)\n' \
        "$ref" "$ref_p99" "$(echo "$rate / $ref" | bc -l)"
    printf '  page weight: %d bytes HTML + %d bytes CSS = %.1f KB (goal < 60 KB; no script)\n' \
        "$weight" "$css" "$(echo "($weight + $css) / 1024" | bc -l)"
}

echo "lunzhi $("$bin" version | head -1), $(nproc) cores, $seconds s per run"
measure queue /
measure item "/items/$item"
