#!/usr/bin/env bash
# Which of the service's statements PostgreSQL plans again on every execution (issue 9's profile).
# Lunzhi prepares each statement once per connection (PQprepare); PostgreSQL then uses custom
# plans for the first five executions and keeps a generic plan only if it looks no dearer. A
# statement it never settles on is planned on every call: CONSULT SHOW's 4-table join was, at
# about 0.4 ms of the backend's CPU a time, the first bottleneck of the read workload.
# Runs the console workloads (read, write, mixed) with pg_stat_statements.track_planning and
# lists each statement with its calls and plans; "replanned" marks plans ≈ calls.
# Usage: Benchmarks/plans.sh [SECONDS]   exits 1 if a statement called 500 times or more was replanned.
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/lib.sh
seconds=${1:-3}

LUNZHI_BENCH_PG_SETTINGS="shared_preload_libraries=pg_stat_statements pg_stat_statements.track_planning=on" \
    bench_setup lunzhi-bench
bench="$bindir/lunzhi-bench"
bench_serve "$bin"
port=$served_port
bench_console_fixture "$port"
psql -q -c "CREATE EXTENSION pg_stat_statements" -c "SELECT pg_stat_statements_reset()" >/dev/null

for workload in read write mixed; do
    LUNZHI_SECRET=$gs "$bench" --port "$port" --workload "$workload" -c 16 -p 1 --user clerk-gs --duration "$seconds"
done

# Statements the server ran (not this script's psql), most called first.
psql -P pager=off -c "
    SELECT calls, plans, CASE WHEN plans >= calls * 0.9 THEN 'replanned' ELSE '' END AS verdict,
           round(mean_plan_time::numeric, 3) AS plan_ms, round(mean_exec_time::numeric, 3) AS exec_ms,
           left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS statement
    FROM pg_stat_statements
    WHERE calls >= 100 AND query NOT LIKE '%pg_stat_statements%'
    ORDER BY calls DESC"
replanned=$(psql -tAc "SELECT count(*) FROM pg_stat_statements WHERE calls >= 500 AND plans >= calls * 0.9")
echo "statements called 500 times or more and planned on (nearly) every call: $replanned"
[ "$replanned" = 0 ]
