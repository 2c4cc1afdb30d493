#!/usr/bin/env bash
# Runs the whole test suite against a throwaway PostgreSQL cluster (fresh data directory, free
# loopback port), which is stopped and removed whatever happens. Installs missing system packages.
# Usage: Deploy/test.sh [swift test arguments, e.g. --filter PoolTests]
set -euo pipefail
cd "$(dirname "$0")/.."
. Deploy/lib/postgres.sh

# msmtp: a real sendmail-compatible program for the e-mail tests; aiosmtpd (PyPI): their SMTP server;
# systemd: systemd-analyze, which verifies the units in Deploy/systemd; openssl: certificates for the
# console's TLS tests.
# chromium and fonts-noto-cjk: the web workspace's browser test (Debian's browser, driven by
# Playwright from PyPI; no browser download) and Chinese text in its screenshots.
lunzhi_ensure_system_packages msmtp systemd openssl chromium fonts-noto-cjk
python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check aiosmtpd >&2
python3 -c 'import playwright, axe_playwright_python' 2>/dev/null ||
    python3 -m pip install -q --disable-pip-version-check playwright axe-playwright-python >&2

# The clusters live in memory (/dev/shm) when it has 4 GiB free. Each test creates a database of
# a few hundred files; on ext4, the inode allocations of some 135 CREATE DATABASEs (and the private
# clusters' initdb) kept both cores 80-90% busy in the kernel for seconds at a time (perf:
# find_get_block_common, recently_deleted), and tests that wait for a reply timed out.
tmp=/tmp
if [ -w /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR == 2 {print $4}')" -gt $((4 * 1024 * 1024)) ]; then
    tmp=/dev/shm
fi
work=$(mktemp -d "$tmp/lunzhi-test.XXXXXX")
chmod 755 "$work"
cleanup() {
    lunzhi_cluster_stop "$work/data" immediate 2>/dev/null || true
    # Private clusters that tests started and could not stop (a crashed test) go too.
    for pid in "$work"/clusters/*/data/postmaster.pid; do
        [ -f "$pid" ] && lunzhi_cluster_stop "$(dirname "$pid")" immediate 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

port=$(lunzhi_free_port)
lunzhi_cluster_init "$work/data" trust
# Tests' private clusters (restarts, replicas) start from copies of this data directory as initdb
# left it: an initdb costs 1-2 s of CPU, and a dozen at the suite's start held both cores for seconds.
cp -a "$work/data" "$work/pristine-data"
mkdir -p "$work/clusters"
[ "$(id -u)" -eq 0 ] && chown "$(lunzhi_cluster_os_user)" "$work/clusters"
lunzhi_cluster_start "$work/data" "$port" "$work" \
    fsync=off synchronous_commit=off full_page_writes=off max_connections=400 shared_buffers=128MB
lunzhi_log "test cluster on 127.0.0.1:$port"

# Tests reach the cluster through libpq's own variables; each test creates its own database.
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=lunzhi PGDATABASE=postgres
unset PGPASSWORD PGSERVICE PGSSLMODE LUNZHI_DATABASE_URL
# For tests that start private clusters of their own (server restarts, replicas).
export LUNZHI_TEST_PG_BINDIR=$(lunzhi_pg_bindir)
export LUNZHI_TEST_CLUSTER_USER=$(lunzhi_cluster_os_user)
export LUNZHI_TEST_WORKDIR=$work/clusters
export LUNZHI_TEST_PRISTINE_DATADIR=$work/pristine-data

swift build --build-tests
# For tests that run the real executable (the reminder daemon killed with SIGKILL).
export LUNZHI_TEST_BINARY="$(swift build --show-bin-path)/lunzhi"
set +e
if [ $# -eq 0 ]; then
    # The whole suite, then the hostile clients alone, then the browser walk alone. Chromium,
    # Playwright and a server beside ~200 parallel tests starved the suite's timing-sensitive tests
    # of both cores; so did 1,000 connections at once on the event loops this process shares with
    # every other test's console server and client (in production, hostile clients are elsewhere).
    swift test --skip-build --skip BrowserWalkTests --skip HostileClientTests 2>&1 | tee "$work/swift-test.log"
    status=${PIPESTATUS[0]}
    for alone in HostileClientTests BrowserWalkTests; do
        swift test --skip-build --filter "$alone" 2>&1 | tee -a "$work/swift-test.log"
        step=${PIPESTATUS[0]}
        [ "$status" -eq 0 ] && status=$step
    done
else
    swift test --skip-build "$@" 2>&1 | tee "$work/swift-test.log"
    status=${PIPESTATUS[0]}
fi
set -e
# A failure's own lines scroll by among ~500 others while the suite goes on, and CI may show only
# the end of the output: say them again last.
if [ "$status" -ne 0 ]; then
    echo
    echo "=== what failed (repeated from above) ==="
    awk '/recorded an issue|^✘|Fatal error|Program crashed/ { show = 1; print; next }
         show && /^↳/ { print; next }
         { show = 0 }' "$work/swift-test.log" | head -n 150
fi
exit $status
