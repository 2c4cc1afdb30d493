# Shared by the scripts in Benchmarks/: a release build and a throwaway PostgreSQL cluster.
# Source it after `cd` to the repository; then call bench_setup PRODUCTS... .
. Deploy/lib/postgres.sh

# Processes to stop at exit (daemons, servers the script starts): bench_pids+=($!).
bench_pids=()

# bench_setup PRODUCT...: builds the products (LUNZHI_BENCH_CONFIG, release by default), starts a
# cluster on a free port with a database lunzhi_bench (migrated), and exports PG* for it. Sets
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
    lunzhi_cluster_start "$work/data" "$port" "$work" max_connections=200
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
