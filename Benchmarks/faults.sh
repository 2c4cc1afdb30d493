#!/usr/bin/env bash
# The fault scenarios of issue 9 that are too slow for the tests. Each ends by checking the data,
# not only that the process is alive, and prints its figures (docs/reliability.md):
#   soak      the reminder daemon killed with SIGKILL every 2 s while it delivers 5,000 reminders to
#             a real webhook receiver: all delivered, none lost (distinct idempotency keys)
#   fuzz      1,000,000 random and mutated request lines: every reply well formed, memory flat
#   diskfull  the items' tablespace, on a small tmpfs, fills under a write load of 8 clients:
#             503 DATABASE_DISK_FULL, nothing half written, writes resume once there is room
#             (needs root and mount; skipped otherwise)
# Usage: Benchmarks/faults.sh   (LUNZHI_FAULTS_ONLY="soak fuzz diskfull", LUNZHI_FUZZ_LINES=1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/lib.sh

lunzhi_ensure_system_packages
bench_setup
only=${LUNZHI_FAULTS_ONLY:-soak fuzz diskfull}
want() { [[ " $only " == *" $1 "* ]]; }
failures=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }
count() { psql -tAc "$1"; }

soak() {
    local n=5000 port log secret=faults-webhook-secret-0123456789 daemon kills=0 delivered=0 started
    port=$(lunzhi_free_port)
    log="$work/webhook.jsonl"
    # A receiver that takes 2 ms per request, so the delivery spans several kills.
    python3 Tests/LunzhiRemindersTests/Support/webhook_receiver.py "$port" "$log" "$secret" "" 2 2>"$work/receiver.err" &
    bench_pids+=($!)
    bench_wait_port "$port"
    psql -q -c "WITH c AS (INSERT INTO member_contact (mechanism_code, member_code, channel, address)
                VALUES ('NW5', 'QH', 'webhook', 'http://127.0.0.1:$port/lunzhi') RETURNING id)
                INSERT INTO member_contact_secret (contact_id, secret) SELECT id, '$secret' FROM c"
    psql -q -c "INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key)
                SELECT 'NW5', 'QH', 'custom', 'soak', g::text, now() - interval '1 minute', 'soak:' || g
                FROM generate_series(1, $n) g"
    started=$(date +%s.%N)
    while [ "$delivered" -lt "$n" ]; do
        "$bin" remind --lease 1 --poll-interval 0.2 --metrics-listen off --log-level error --webhook-allow-cidr 127.0.0.0/8 >/dev/null 2>>"$work/remind.err" &
        daemon=$!
        sleep 2
        kill -KILL "$daemon" 2>/dev/null && kills=$((kills + 1))
        wait "$daemon" 2>/dev/null || true
        delivered=$(count "SELECT count(*) FROM reminder WHERE idempotency_key LIKE 'soak:%' AND state = 'delivered'")
        echo "  after kill $kills: $delivered of $n delivered"
        [ "$kills" -lt 60 ] || { fail "soak: not delivered after 60 kills"; break; }
    done
    local seconds keys requests invalid
    seconds=$(echo "$(date +%s.%N) - $started" | bc -l)
    keys=$(python3 -c "import json,sys; print(len({json.loads(l)['key'] for l in open(sys.argv[1])}))" "$log")
    requests=$(wc -l <"$log")
    invalid=$(grep -c '"valid": false' "$log" || true)
    printf 'soak: %d reminders, daemon killed %d times (every 2 s), %.1f s: %d delivered, %d distinct keys at the receiver, %d requests (%d repeated after a kill), %d with a bad signature\n' \
        "$n" "$kills" "$seconds" "$delivered" "$keys" "$requests" "$((requests - keys))" "$invalid"
    [ "$keys" -eq "$n" ] || fail "soak: $keys distinct keys of $n"
    [ "$invalid" -eq 0 ] || fail "soak: $invalid bad signatures"
}

start_console() {
    bench_serve "$bin" --log-level error "$@" 2>>"$work/serve.log"
    console_port=$served_port console_pid=$served_pid
}

fuzz() {
    local lines=${LUNZHI_FUZZ_LINES:-1000000} secret
    secret=$(bench_user fuzz-gs --role clerk --member GS)
    start_console
    echo "fuzz: $lines lines, server pid $console_pid"
    python3 Benchmarks/fuzz_console.py "$console_port" fuzz-gs "$secret" "$console_pid" "$lines" || fail "fuzz"
    kill -0 "$console_pid" 2>/dev/null || fail "fuzz: the server died"
}

diskfull() {
    if [ "$(id -u)" -ne 0 ]; then echo "diskfull: skipped (needs root to mount a tmpfs)"; return; fi
    local small="$work/small"
    mkdir -p "$small"
    if ! mount -t tmpfs -o size=8m tmpfs "$small" 2>/dev/null; then
        echo "diskfull: skipped (cannot mount a tmpfs here)"; return
    fi
    chown "$(lunzhi_cluster_os_user)" "$small"
    psql -q -c "CREATE TABLESPACE small LOCATION '$small'"
    psql -q -c "ALTER TABLE agenda_item SET TABLESPACE small"
    local secret out="$work/diskfull.txt"
    secret=$(bench_user disk-sn --role clerk --member SN)
    start_console
    # 8 clients file items with 4 KB bodies until the tablespace is full, then a while longer.
    python3 - "$console_port" "$secret" "$out" <<'PY'
import socket, sys, threading, time
port, secret, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
results, lock, stop_at = [], threading.Lock(), [None]
def client(k):
    s = socket.create_connection(("127.0.0.1", port)); f = s.makefile("rb")
    f.readline(); s.sendall(f"AUTH disk-sn {secret}\r\n".encode()); f.readline()
    n = 0
    while stop_at[0] is None or time.time() < stop_at[0]:
        title = f"disk-{k}-{n}"; n += 1
        s.sendall(f"ITEM FILE category=direction track=regular title={title} body={'满' * 1300}\r\n".encode())
        line = f.readline().decode()
        with lock:
            results.append((title, line.strip()))
            if line.startswith("503") and stop_at[0] is None: stop_at[0] = time.time() + 3
        if time.time() > started + 300: break
started = time.time()
threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
with open(out, "w") as f:
    for title, line in results: f.write(f"{title}\t{line}\n")
PY
    local acknowledged refused other stored lost ghost events items first
    acknowledged=$(grep -c $'\t201 ' "$out" || true)
    refused=$(grep -c $'\t503 DATABASE_DISK_FULL' "$out" || true)
    other=$(grep -vc $'\t201 \|\t503 DATABASE_DISK_FULL' "$out" || true)
    first=$({ grep -m1 $'\t503' "$out" || true; } | cut -f2)
    psql -tAc "SELECT title FROM agenda_item WHERE title LIKE 'disk-%'" | sort >"$work/stored.txt"
    stored=$(wc -l <"$work/stored.txt")
    # (grep finds nothing: no line, not a failed pipeline, so the checks below report it)
    lost=$({ grep $'\t201 ' "$out" || true; } | cut -f1 | sort | comm -23 - "$work/stored.txt" | wc -l)
    ghost=$({ grep $'\t503' "$out" || true; } | cut -f1 | sort | comm -12 - "$work/stored.txt" | wc -l)
    items=$(count "SELECT count(*) FROM agenda_item WHERE title LIKE 'disk-%'")
    events=$(count "SELECT count(*) FROM audit_event WHERE action = 'item.file' AND after->>'title' LIKE 'disk-%'")
    echo "diskfull: first refusal: $first"
    # Room again: move the table back to the main disk; writes work again.
    psql -q -c "ALTER TABLE agenda_item SET TABLESPACE pg_default"
    local again
    again=$(LUNZHI_SECRET=$secret "$bin" console --port "$console_port" --user disk-sn -c "ITEM FILE category=direction track=regular title=disk-after" | head -1)
    psql -q -c "DROP TABLESPACE small"
    umount "$small"
    echo "diskfull: $acknowledged acknowledged (201), all stored: $([ "$lost" -eq 0 ] && echo yes || echo "no, $lost lost"); $refused refused (503 DATABASE_DISK_FULL), stored anyway: $ghost; other replies: $other; items $items = item.file events $events; after making room: $again"
    [ "$refused" -gt 0 ] || fail "diskfull: the disk never filled"
    [ "$lost" -eq 0 ] || fail "diskfull: $lost acknowledged items lost"
    [ "$ghost" -eq 0 ] || fail "diskfull: $ghost refused items stored"
    [ "$other" -eq 0 ] || fail "diskfull: $other unexpected replies"
    [ "$items" -eq "$events" ] || fail "diskfull: $items items but $events audit events"
    [[ "$again" == 201* ]] || fail "diskfull: no write after making room ($again)"
}

echo "machine: $(uname -m), $(nproc) cores, PostgreSQL $(psql -tAc 'SHOW server_version'), build $config"
for scenario in soak fuzz diskfull; do
    if want "$scenario"; then "$scenario"; fi
done
[ "$failures" -eq 0 ] || { echo "$failures scenario(s) failed"; exit 1; }
echo "all scenarios passed"
