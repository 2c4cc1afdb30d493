# Shared by Deploy/local.sh and Deploy/test.sh: system packages and private PostgreSQL clusters.
# Source it; every function prints errors to stderr and returns non-zero on failure.

lunzhi_log() { printf '%s\n' "lunzhi: $*" >&2; }

# Installs what building and testing need, only when missing: PostgreSQL's server, libpq's headers,
# libedit's headers (line editing in `lunzhi console`), pkg-config (SwiftPM finds both through it). Extra Debian package names may be passed.
lunzhi_ensure_system_packages() {
    local missing=()
    [ -n "$(lunzhi_pg_bindir 2>/dev/null)" ] || missing+=(postgresql)
    [ -f /usr/include/postgresql/libpq-fe.h ] || missing+=(libpq-dev)
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
    [ -f /usr/include/editline/readline.h ] || missing+=(libedit-dev)
    command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
    local extra
    for extra in "$@"; do
        # Only "install ok installed" counts: a removed package leaves its config files behind.
        dpkg-query -W -f='${Status}' "$extra" 2>/dev/null | grep -q 'install ok installed' || missing+=("$extra")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    lunzhi_log "installing ${missing[*]} (apt-get)"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# The directory holding initdb/pg_ctl of the newest installed PostgreSQL.
lunzhi_pg_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
    done
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
    return 1
}

# The OS user that owns and runs private clusters: the caller, or, for root (PostgreSQL refuses to
# run as root), the 'postgres' system user (created by Debian's package), else a 'lunzhi' user.
lunzhi_cluster_os_user() {
    if [ "$(id -u)" -ne 0 ]; then id -un; return; fi
    if id postgres >/dev/null 2>&1; then echo postgres; return; fi
    id lunzhi >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin lunzhi
    echo lunzhi
}

# Runs a command as the cluster's OS user.
lunzhi_as_cluster_user() {
    local user
    user=$(lunzhi_cluster_os_user)
    if [ "$(id -un)" = "$user" ]; then "$@"; else runuser -u "$user" -- "$@"; fi
}

# A TCP port on 127.0.0.1 that nothing listens on, below the kernel's ephemeral range (from which
# outgoing connections take their local ports): a port inside it may be taken by any connection
# while its cluster is stopped, and the cluster then cannot start again on it. One of the 12,000
# ports below the range (fewer when it starts low), never below 1024: the ports the tests'
# LoopbackPort.free() picks from.
lunzhi_free_port() {
    local port tries=0 low
    low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true)
    [[ "$low" =~ ^[0-9]+$ ]] && [ "$low" -gt 2048 ] || low=32768
    while [ $tries -lt 200 ]; do
        port=$(( low - 1 - RANDOM % (low - 1024 < 12000 ? low - 1024 : 12000) ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
        tries=$((tries + 1))
    done
    lunzhi_log "no free port found"; return 1
}

# lunzhi_cluster_init DATADIR AUTH [PWFILE]: initdb a new cluster owned by the cluster user.
# AUTH is 'trust' (throwaway test clusters) or 'scram-sha-256' (with PWFILE holding the password).
# The superuser is 'lunzhi'. Only loopback connections are accepted.
lunzhi_cluster_init() {
    local datadir=$1 auth=$2 pwfile=${3:-} bindir user
    bindir=$(lunzhi_pg_bindir) || { lunzhi_log "PostgreSQL's initdb not found"; return 1; }
    user=$(lunzhi_cluster_os_user)
    mkdir -p "$(dirname "$datadir")"
    [ "$(id -u)" -eq 0 ] && chown "$user" "$(dirname "$datadir")"
    local args=(-D "$datadir" -U lunzhi -E UTF8 --locale=C.UTF-8 --auth-local="$auth" --auth-host="$auth")
    [ -n "$pwfile" ] && args+=(--pwfile="$pwfile")
    lunzhi_as_cluster_user "$bindir/initdb" "${args[@]}" >"$(dirname "$datadir")/initdb.log" 2>&1 || {
        cat "$(dirname "$datadir")/initdb.log" >&2; return 1; }
}

# lunzhi_cluster_start DATADIR PORT SOCKETDIR [extra -c settings...]: start on 127.0.0.1:PORT.
lunzhi_cluster_start() {
    local datadir=$1 port=$2 socketdir=$3 bindir
    shift 3
    bindir=$(lunzhi_pg_bindir) || return 1
    local options="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$socketdir"
    local setting
    for setting in "$@"; do options+=" -c $setting"; done
    lunzhi_as_cluster_user "$bindir/pg_ctl" -D "$datadir" -l "$datadir/../postgres.log" -o "$options" -w -t 60 start >/dev/null || {
        tail -n 30 "$datadir/../postgres.log" >&2; return 1; }
}

# lunzhi_cluster_stop DATADIR [MODE]: stop if running (fast by default).
lunzhi_cluster_stop() {
    local datadir=$1 mode=${2:-fast} bindir
    bindir=$(lunzhi_pg_bindir) || return 1
    [ -f "$datadir/postmaster.pid" ] || return 0
    lunzhi_as_cluster_user "$bindir/pg_ctl" -D "$datadir" -m "$mode" -w -t 60 stop >/dev/null
}

lunzhi_cluster_running() {
    local datadir=$1 bindir
    bindir=$(lunzhi_pg_bindir) || return 1
    [ -d "$datadir" ] && lunzhi_as_cluster_user "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1
}
