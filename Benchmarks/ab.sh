#!/usr/bin/env bash
# A/B: two lunzhi binaries serving one database, the same lunzhi-bench runs alternating between
# them for a few rounds, so a change is judged against its baseline on the same machine at the
# same moment (single runs vary by ±15% here). docs/performance.md's driver figures came from it.
# Usage: Benchmarks/ab.sh BASELINE_BINARY CANDIDATE_BINARY ["lunzhi-bench arguments" ...]
#   e.g. Benchmarks/ab.sh /tmp/lunzhi-old .build/release/lunzhi \
#          "--workload read -c 64 -p 1 --rate 1000" "--workload write -c 16 -p 1"
#   Build the baseline first from another commit (git stash; swift build -c release; cp the binary).
#   LUNZHI_BENCH_AB_ROUNDS (default 3), LUNZHI_BENCH_AB_SECONDS (default 5): LUNZHI_BENCH_*, so that
#   the servers, which warn of unknown LUNZHI_* variables, stay quiet.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,10p' "$0"; exit 64; }
baseline=$(realpath "$1") candidate=$(realpath "$2"); shift 2
[ $# -gt 0 ] || set -- "--workload read -c 64 -p 1 --rate 1000" "--workload write -c 16 -p 1"
cd "$(dirname "$0")/.."
. Benchmarks/lib.sh
bench_setup lunzhi-bench
bench="$bindir/lunzhi-bench"

declare -A port pid
bench_serve "$baseline" --pool-size 16; port[A]=$served_port pid[A]=$served_pid
bench_serve "$candidate" --pool-size 16; port[B]=$served_port pid[B]=$served_pid
bench_console_fixture "${port[B]}"

echo "machine: $(uname -m), $(nproc) cores, PostgreSQL $(psql -tAc 'SHOW server_version')"
echo "A = $baseline"
echo "B = $candidate"
for ((round = 1; round <= ${LUNZHI_BENCH_AB_ROUNDS:-3}; round++)); do
    for arguments in "$@"; do
        for side in A B; do
            # shellcheck disable=SC2086  # each argument string is split into lunzhi-bench's arguments
            echo "$side $(LUNZHI_SECRET=$gs "$bench" --port "${port[$side]}" --server-pid "${pid[$side]}" \
                --duration "${LUNZHI_BENCH_AB_SECONDS:-5}" --user clerk-gs $arguments)"
        done
    done
done
