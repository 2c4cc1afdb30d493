#!/usr/bin/env bash
# Audit log benchmark (issue 7), on one throwaway PostgreSQL cluster:
#  1. appends stay linear: 10,000 and then 100,000 events in one transaction each (µs per event);
#     and what the Merkle tree (SQL/0012, 0013) adds to an append: the same appends into two scratch
#     databases, one sealing with the tree and one with the chain only (the seal before 0012),
#     interleaved (goal: ≤ 1.2×);
#  2. 1,000,000 events verified by `lunzhi audit verify` (goal < 10 s), against two references on
#     the same server: PostgreSQL handing over the rows (`COPY audit_event TO STDOUT` into
#     /dev/null; goal ≤ 1.5×) and PostgreSQL recomputing the same hashes itself in one query;
#  3. incremental verification from a signed checkpoint after 1,000 new events (goal < 1 s);
#  4. proofs from the stored tree (lunzhi-audit-bench proofs): inclusion and consistency proof
#     generation (goal p99 < 5 ms), verification (goal < 1 ms), path length (goal ≤ ⌈log2 n⌉);
#  5. the tiles of the whole log written from scratch by a checkpoint with --tiles-dir (goal < 60 s);
#  6. witness round trips: five `lunzhi witness` processes on loopback asked in parallel to cosign
#     200 checkpoints, one event apart (lunzhi-audit-bench witnesses; goal p99 < 50 ms).
# Usage: Benchmarks/audit.sh [N]   (LUNZHI_BENCH_CONFIG=debug for a debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/lib.sh
n=${1:-1000000}

lunzhi_ensure_system_packages
bench_setup lunzhi-audit-bench

now() { date +%s.%N; }
# Appends k events in one transaction, each with an after image like an item's (~300 bytes).
append() {
    psql -q -c "INSERT INTO audit_event (at, principal_id, principal_name, mechanism_code, member_code, action,
                                         entity, entity_id, after, reason, prev_hash, hash)
                SELECT now(), 3, 'clerk-gs', 'NW5', 'GS', 'item.submit', 'item', g::text,
                       jsonb_build_object('id', g, 'state', 'submitted', 'title', '西部陆海新通道建设合作 ' || g,
                                          'track', 'regular', 'category', 'major_project', 'member_code', 'GS',
                                          'body', repeat('协商', 40)),
                       NULL, '\\x'::bytea, '\\x'::bytea
                FROM generate_series(1, $1) g"
}
# The tree's cost per append, against the chain-only seal of before 0012, in the same run.
for db in with_tree chain_only; do
    psql -q -d postgres -c "CREATE DATABASE $db"
    "$bin" migrate --database-url "dbname=$db" >/dev/null 2>&1
done
# The reference has no leaf column in use (before 0013 there was none): NULL costs nothing stored.
psql -q -d chain_only -c "ALTER TABLE audit_event ALTER COLUMN leaf_hash DROP NOT NULL"
psql -q -d chain_only -c "CREATE OR REPLACE FUNCTION audit_event_seal() RETURNS trigger LANGUAGE plpgsql AS \$\$
DECLARE last audit_event%ROWTYPE;
BEGIN
    PERFORM pg_advisory_xact_lock(7307418812334735969);
    SELECT * INTO last FROM audit_event ORDER BY seq DESC LIMIT 1;
    IF FOUND THEN NEW.seq := last.seq + 1; NEW.prev_hash := last.hash;
    ELSE NEW.seq := 1; NEW.prev_hash := '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea; END IF;
    NEW.recorded_at := clock_timestamp();
    NEW.hash := sha256(NEW.prev_hash || audit_canonical_v1(NEW));
    RETURN NEW;
END \$\$"
declare -A took=([with_tree]=0 [chain_only]=0)
for round in 1 2 3 4; do
    for db in with_tree chain_only; do
        t0=$(now); PGDATABASE=$db append 10000; t1=$(now)
        took[$db]=$(echo "${took[$db]} + $t1 - $t0" | bc -l)
    done
done
tree_us=$(echo "${took[with_tree]} * 1000000 / 40000" | bc -l)
chain_us=$(echo "${took[chain_only]} * 1000000 / 40000" | bc -l)
tree_rows=$(psql -qtA -d with_tree -c "SELECT count(*) FROM audit_tree")
for db in with_tree chain_only; do psql -q -d postgres -c "DROP DATABASE $db"; done

t0=$(now); append 10000; t1=$(now)
small=$(echo "($t1 - $t0) * 1000000 / 10000" | bc -l)
t0=$(now); append 100000; t1=$(now)
large=$(echo "($t1 - $t0) * 1000000 / 100000" | bc -l)
have=110000
while [ "$have" -lt "$n" ]; do
    step=$(( n - have < 100000 ? n - have : 100000 ))
    append "$step"
    have=$(( have + step ))
done
psql -q -c 'VACUUM ANALYZE audit_event'

t0=$(now)
psql -qtA -c "SELECT count(*) FILTER (WHERE sha256(prev_hash || audit_canonical_v1(e)) <> hash) FROM audit_event e" >/dev/null
t1=$(now)
reference=$(echo "$t1 - $t0" | bc -l)

t0=$(now)
psql -q -c "COPY audit_event TO STDOUT" >/dev/null
t1=$(now)
copy=$(echo "$t1 - $t0" | bc -l)

t0=$(now)
"$bin" audit verify --database-url "dbname=lunzhi_bench" >"$work/verify.out"
t1=$(now)
full=$(echo "$t1 - $t0" | bc -l)
grep -Eq "^(ok|unanchored [^:]*): $n events" "$work/verify.out" || { cat "$work/verify.out" >&2; exit 1; }

"$bin" audit keygen --out "$work/keys" >/dev/null
signing=(--checkpoint-key "$work/keys/audit.key" --checkpoint-log "$work/checkpoints.log")
"$bin" audit checkpoint "${signing[@]}" --database-url "dbname=lunzhi_bench" >/dev/null 2>&1
append 1000
t0=$(now)
"$bin" audit verify --incremental --checkpoints "$work/checkpoints.log" --public-key "$work/keys/audit.pub" \
    --database-url "dbname=lunzhi_bench" >"$work/incremental.out"
t1=$(now)
incremental=$(echo "$t1 - $t0" | bc -l)
grep -q "^ok: 1000 events" "$work/incremental.out" || { cat "$work/incremental.out" >&2; exit 1; }

"$bindir/lunzhi-audit-bench" proofs --database-url "dbname=lunzhi_bench" --count 2000 >"$work/proofs.out"

# The tiles of the whole log, from scratch: a checkpoint with nothing new brings an empty tiles
# directory up to the last checkpoint.
"$bin" audit checkpoint "${signing[@]}" --database-url "dbname=lunzhi_bench" >/dev/null 2>&1
t0=$(now)
"$bin" audit checkpoint "${signing[@]}" --tiles-dir "$work/tiles" --database-url "dbname=lunzhi_bench" >"$work/tiles.out" 2>&1
t1=$(now)
tiles=$(echo "$t1 - $t0" | bc -l)
tile_files=$(find "$work/tiles/tile" -type f | wc -l)
tile_bytes=$(du -sb "$work/tiles" | cut -f1)
python3 docs/audit-verify.py tiles "$work/tiles" "$work/keys/audit.pub" --seq "$((n / 2))" >"$work/tiles-proof.out" \
    || { cat "$work/tiles.out" "$work/tiles-proof.out" >&2; exit 1; }

# Five witnesses on loopback.
witnesses=()
for w in 1 2 3 4 5; do
    "$bin" witness keygen --name "witness-$w.bench" --out "$work/witness-$w" >/dev/null
    port=$(lunzhi_free_port)
    "$bin" witness serve --listen "127.0.0.1:$port" --key "$work/witness-$w/witness.key" \
        --log-key "$work/keys/audit.pub" --state "$work/witness-$w/state.json" --log-level error &
    bench_pids+=($!)
    bench_wait_port "$port"
    witnesses+=(--witness "http://127.0.0.1:$port+$(cat "$work/witness-$w/witness.pub")")
done
"$bindir/lunzhi-audit-bench" witnesses --database-url "dbname=lunzhi_bench" --checkpoint-key "$work/keys/audit.key" \
    "${witnesses[@]}" --rounds 200 >"$work/witnesses.out"

printf 'machine: %s, %s cores, PostgreSQL %s, build %s\n' "$(uname -m)" "$(nproc)" "$(psql -tAc 'SHOW server_version')" "$config"
printf 'append, one transaction:  10,000 events %6.1f µs each; 100,000 events %6.1f µs each; ratio %.2f (linear = 1)\n' "$small" "$large" "$(echo "$large / $small" | bc -l)"
printf 'append with the tree:     %6.1f µs per event, chain only (before 0012) %6.1f µs; ratio %.2f (goal <= 1.2); %d tree rows for 40,000 events\n' "$tree_us" "$chain_us" "$(echo "$tree_us / $chain_us" | bc -l)" "$tree_rows"
printf 'lunzhi audit verify:      %d events in %6.2f s (goal < 10 s), chain and tree\n' "$n" "$full"
printf 'reference, in-database:   %d hashes recomputed by PostgreSQL in %6.2f s; ratio lunzhi/reference %.2f\n' "$n" "$reference" "$(echo "$full / $reference" | bc -l)"
printf 'reference, COPY out:      %d rows handed over by PostgreSQL in %6.2f s; ratio lunzhi verify/COPY %.2f (goal <= 1.5)\n' "$n" "$copy" "$(echo "$full / $copy" | bc -l)"
printf 'incremental verify:       1,000 new events after a checkpoint in %6.3f s (goal < 1 s)\n' "$incremental"
sed 's/^/proofs: /' "$work/proofs.out"
printf 'tiles from scratch:       %d events in %6.2f s (goal < 60 s): %d files, %d MB\n' "$((n + 1000))" "$tiles" "$tile_files" "$((tile_bytes / 1000000))"
sed 's/^/tiles: /' "$work/tiles-proof.out"
cat "$work/witnesses.out"
