# Shared by the scripts in Benchmarks/: a release build and a throwaway PostgreSQL cluster.
# Source it after `cd` to the repository; then call bench_setup PRODUCTS... .
. Deploy/lib/postgres.sh

# Processes to stop at exit (daemons, servers the script starts): bench_pids+=($!).
bench_pids=()

# bench_setup PRODUCT...: builds the products (LUNZHI_BENCH_CONFIG, release by default), starts a
# cluster on a free port with a database lunzhi_bench (migrated), and exports PG* for it (more
# server settings, name=value, in LUNZHI_BENCH_PG_SETTINGS). Sets
# $config, $bindir, $bin (the lunzhi binary) and $work; removes everything at exit.
bench_setup() {
    config=${LUNZHI_BENCH_CONFIG:-release}
    local product
    for product in lunzhi "$@"; do swift build -c "$config" --product "$product" >&2; done
    bindir="$(swift build -c "$config" --show-bin-path)"
    bin="$bindir/lunzhi"
    work=$(mktemp -d /tmp/lunzhi-bench.XXXXXX)
    chmod 755 "$work"
    trap bench_cleanup EXIT
    local port
    port=$(lunzhi_free_port)
    lunzhi_cluster_init "$work/data" trust
    # shellcheck disable=SC2086 # LUNZHI_BENCH_PG_SETTINGS: more name=value settings, space-separated
    lunzhi_cluster_start "$work/data" "$port" "$work" max_connections=200 ${LUNZHI_BENCH_PG_SETTINGS:-}
    export PGHOST=127.0.0.1 PGPORT=$port PGUSER=lunzhi PGDATABASE=lunzhi_bench
    psql -q -d postgres -c 'CREATE DATABASE lunzhi_bench'
    "$bin" migrate --database-url "dbname=lunzhi_bench" >/dev/null 2>&1
}

bench_cleanup() {
    local pid
    for pid in "${bench_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    lunzhi_cluster_stop "$work/data" immediate 2>/dev/null || true
    # A scenario that failed midway may have left a file system mounted here (faults.sh diskfull).
    local mounted
    for mounted in $(awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts); do umount "$mounted" || true; done
    rm -rf "$work"
}

# bench_wait_port PORT: until something accepts connections on 127.0.0.1:PORT (10 s at most).
bench_wait_port() {
    local _
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
    return 1
}

# bench_serve BINARY ARGS...: starts `BINARY serve` on a free loopback port, with no metrics listener
# and warnings only (ARGS add to these, or override them: the last value of an option wins), stops
# it at exit, and waits until it accepts connections. Sets $served_port and $served_pid.
# LUNZHI_BENCH_WRAP="perf record -g -o perf.data" runs it under a profiler ($served_pid is then
# the wrapper's).
bench_serve() {
    local binary=$1
    shift
    served_port=$(lunzhi_free_port)
    # All load comes from 127.0.0.1, and the ping workload never signs in: the per-address cap and
    # the sign-in timeout (security hardening) are lifted for the benchmarks.
    # (A baseline built before them, in ab.sh, has no such flags.)
    local lifted=()
    local help
    help=$("$binary" serve --help 2>/dev/null || true)
    grep -q -- --auth-timeout <<<"$help" && lifted=(--max-connections-per-address 4096 --auth-timeout 86400)
    # The web workspace listens only where a benchmark asks for it (web.sh passes --web-listen).
    if grep -q -- --web-listen <<<"$help" && [[ " $* " != *" --web-listen "* ]]; then lifted+=(--web-listen off); fi
    ${LUNZHI_BENCH_WRAP:-} "$binary" serve --listen "127.0.0.1:$served_port" --metrics-listen off --log-level warning \
        "${lifted[@]}" "$@" &
    served_pid=$!
    bench_pids+=("$served_pid")
    bench_wait_port "$served_port"
}

# bench_user NAME ARGS...: adds a principal (`lunzhi user add`) and prints its secret.
bench_user() { "$bin" user add "$@" | sed -n 's/^secret: //p'; }

# bench_console_fixture PORT: through the console on PORT, what the read and write workloads
# need: an operator ($op: its secret) who plans the rotation, and a Gansu clerk ($gs) who files
# item 1 and convenes consultation 1.
bench_console_fixture() {
    local port=$1 year
    year=$(date +%Y)
    op=$(bench_user op --role operator)
    gs=$(bench_user clerk-gs --role clerk --member GS)
    LUNZHI_SECRET=$op "$bin" console --port "$port" --user op \
        -c "CHAIR PLAN order=SN,GS,QH,NX,XJ from=$((year - 1)) years=5" >/dev/null
    LUNZHI_SECRET=$gs "$bin" console --port "$port" --user clerk-gs \
        -c "ITEM FILE category=direction track=regular title=基准" \
        -c "CONSULT CONVENE kind=meeting at=$((year + 1))-03-01T09:00 place=兰州 deadline=$((year + 1))-02-20" >/dev/null
}
