#!/usr/bin/env bash
# Reminder delivery benchmark (issue 6): on one throwaway PostgreSQL cluster,
#  1. 20,000 due reminders delivered to the file channel by one `lunzhi remind --once`;
#  2. PgQueuer (PyPI) draining 20,000 no-op jobs with one QueueManager;
#  3. commit-to-delivery latency of single reminders through a running daemon (p50, p99).
# Prints both rates and their ratio. Goal: Lunzhi ≥ 2× PgQueuer's rate; p50 < 5 ms.
# Usage: Benchmarks/reminders.sh [N]   (LUNZHI_BENCH_CONFIG=debug for a debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/lib.sh
n=${1:-20000}

lunzhi_ensure_system_packages
python3 -c 'import pgqueuer, asyncpg' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check pgqueuer asyncpg >&2
bench_setup
psql -q -d postgres -c 'CREATE DATABASE pgqueuer_bench'
out="$work/reminders.jsonl"
psql -q -c "INSERT INTO member_contact (mechanism_code, member_code, channel, address) VALUES ('NW5', 'GS', 'file', 'reminders.jsonl')"
psql -q -c "INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key)
            SELECT 'NW5', 'GS', 'custom', 'bench', g::text, now() - interval '1 minute', 'bench:' || g FROM generate_series(1, $n) g"
began=$(date +%s.%N)
${LUNZHI_BENCH_WRAP:-} "$bin" remind --once --database-url "dbname=lunzhi_bench" --batch-size "${LUNZHI_BENCH_BATCH:-512}" --claimers "${LUNZHI_BENCH_CLAIMERS:-3}" --pool-size 8 --log-level warning --file-channel-dir "$work" >/dev/null
ended=$(date +%s.%N)
lunzhi_seconds=$(echo "$ended - $began" | bc -l)
delivered=$(wc -l <"$out")
[ "$delivered" -eq "$n" ] || { echo "delivered $delivered of $n" >&2; exit 1; }

pgq_seconds=$(PGDATABASE=pgqueuer_bench sh -c 'python3 -m pgqueuer install >/dev/null 2>&1 && python3 Benchmarks/pgqueuer_drain.py '"$n")

"$bin" remind --database-url "dbname=lunzhi_bench" --log-level warning --metrics-listen off --file-channel-dir "$work" >/dev/null 2>&1 &
bench_pids+=($!)
sleep 1
read -r p50 p99 < <(python3 Benchmarks/reminder_latency.py 200 "$out")

lunzhi_rate=$(echo "$n / $lunzhi_seconds" | bc -l)
pgq_rate=$(echo "$n / $pgq_seconds" | bc -l)
printf 'machine: %s, %s cores, PostgreSQL %s, build %s\n' "$(uname -m)" "$(nproc)" "$(psql -tAc 'SHOW server_version')" "$config"
printf 'lunzhi remind --once:  %6d reminders in %7.2f s = %8.0f/s (file channel)\n' "$n" "$lunzhi_seconds" "$lunzhi_rate"
printf 'PgQueuer drain:        %6d jobs      in %7.2f s = %8.0f/s (no-op)\n' "$n" "$pgq_seconds" "$pgq_rate"
printf 'ratio lunzhi/pgqueuer: %.2f (goal >= 2)\n' "$(echo "$lunzhi_rate / $pgq_rate" | bc -l)"
printf 'commit-to-delivery latency, 200 single reminders: p50 %s ms, p99 %s ms (goal p50 < 5 ms)\n' "$p50" "$p99"
