#!/usr/bin/env bash
# Runs Lunzhi on this machine.
#   Deploy/local.sh          build, bring up the database, migrate, and start the console server
#                            (LUNZHI_LISTEN, default 127.0.0.1:7707) and the reminder daemon
#   Deploy/local.sh stop     stop the private PostgreSQL cluster
#   Deploy/local.sh status   show where the database is and the migration status
#   Deploy/local.sh env      print the variables to use the database from a shell (eval "$(…)")
#
# With LUNZHI_DATABASE_URL set, that database is used. Otherwise a private cluster is created on
# first use under .lunzhi/ (loopback only, a free port, a generated password in .lunzhi/pgpass)
# and reused on every later run.
set -euo pipefail
cd "$(dirname "$0")/.."
. Deploy/lib/postgres.sh

root=$(pwd)
state="$root/.lunzhi"
command=${1:-run}

load_cluster_env() {
    [ -f "$state/cluster.env" ] && . "$state/cluster.env"
    return 0
}

# The data directory must be reachable by the cluster's OS user; when the checkout is not (a home
# directory closed to others and we are root), the data lives under /var/lib/lunzhi-local instead.
choose_datadir() {
    local user
    user=$(lunzhi_cluster_os_user)
    if [ "$(id -un)" = "$user" ] || runuser -u "$user" -- test -x "$root" 2>/dev/null; then
        echo "$state/cluster/data"
    else
        echo "/var/lib/lunzhi-local/$(printf '%s' "$root" | sha256sum | cut -c1-12)/data"
    fi
}

write_cluster_env() {
    cat >"$state/cluster.env" <<ENV
LUNZHI_LOCAL_DATADIR='$LUNZHI_LOCAL_DATADIR'
LUNZHI_LOCAL_PORT='$LUNZHI_LOCAL_PORT'
ENV
}

database_url() {
    echo "postgresql://lunzhi@127.0.0.1:$LUNZHI_LOCAL_PORT/${1:-lunzhi}?passfile=$state/pgpass"
}

ensure_cluster() {
    mkdir -p "$state"
    chmod 711 "$state"  # the cluster user may pass through; pgpass itself is 0600
    load_cluster_env
    if [ -z "${LUNZHI_LOCAL_DATADIR:-}" ] || [ ! -f "$LUNZHI_LOCAL_DATADIR/PG_VERSION" ]; then
        LUNZHI_LOCAL_DATADIR=$(choose_datadir)
        LUNZHI_LOCAL_PORT=$(lunzhi_free_port)
        local password pwfile
        password=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)
        pwfile=$(mktemp)
        printf '%s\n' "$password" >"$pwfile"
        chmod 644 "$pwfile"
        lunzhi_log "creating a private PostgreSQL cluster in $LUNZHI_LOCAL_DATADIR"
        lunzhi_cluster_init "$LUNZHI_LOCAL_DATADIR" scram-sha-256 "$pwfile" || { rm -f "$pwfile"; return 1; }
        rm -f "$pwfile"
        (umask 077; printf '127.0.0.1:*:*:lunzhi:%s\n' "$password" >"$state/pgpass")
        write_cluster_env
    fi
    if ! lunzhi_cluster_running "$LUNZHI_LOCAL_DATADIR"; then
        if (exec 3<>"/dev/tcp/127.0.0.1/$LUNZHI_LOCAL_PORT") 2>/dev/null; then
            LUNZHI_LOCAL_PORT=$(lunzhi_free_port)
            lunzhi_log "the old port is taken; using $LUNZHI_LOCAL_PORT"
            write_cluster_env
        fi
        local socketdir
        socketdir=$(dirname "$LUNZHI_LOCAL_DATADIR")
        lunzhi_cluster_start "$LUNZHI_LOCAL_DATADIR" "$LUNZHI_LOCAL_PORT" "$socketdir"
        lunzhi_log "PostgreSQL is running on 127.0.0.1:$LUNZHI_LOCAL_PORT"
    fi
    if [ "$(psql "$(database_url postgres)" -tAc "SELECT 1 FROM pg_database WHERE datname = 'lunzhi'")" != 1 ]; then
        psql "$(database_url postgres)" -q -c 'CREATE DATABASE lunzhi' >/dev/null
    fi
    export LUNZHI_DATABASE_URL
    LUNZHI_DATABASE_URL=$(database_url)
}

build() {
    lunzhi_log "building (swift build)"
    swift build --product lunzhi >&2
    LUNZHI_BIN="$(swift build --show-bin-path)/lunzhi"
}

case "$command" in
run)
    lunzhi_ensure_system_packages
    if [ -z "${LUNZHI_DATABASE_URL:-}" ]; then ensure_cluster; fi
    build
    "$LUNZHI_BIN" migrate
    "$LUNZHI_BIN" migrate --status
    listen=${LUNZHI_LISTEN:-127.0.0.1:7707}
    # A first operator, once; its secret is kept (0600) so you can sign in later.
    if [ ! -f "$state/operator.secret" ]; then
        mkdir -p "$state"
        secret=$("$LUNZHI_BIN" user add operator --role operator --display-name "local operator" | sed -n 's/^secret: //p')
        if [ -n "$secret" ]; then
            (umask 077; printf '%s\n' "$secret" >"$state/operator.secret")
            lunzhi_log "created the principal 'operator'; its secret is in .lunzhi/operator.secret"
        fi
    fi
    # A checkpoint signing key for the audit log, once (a real deployment keeps it off this machine).
    if [ ! -f "$state/audit/audit.key" ]; then
        "$LUNZHI_BIN" audit keygen --name lunzhi-local --out "$state/audit" >/dev/null
        lunzhi_log "created an audit checkpoint key in .lunzhi/audit/ (checkpoints go to .lunzhi/audit/checkpoints.log)"
    fi
    # Five witnesses, one per member, as each province would run its own (keys and state under
    # .lunzhi/witness/): a newcomer sees witnessed checkpoints.
    witness_pids=()
    witness_args=()
    witness_port=7791
    for member in sn gs qh nx xj; do
        dir="$state/witness/$member"
        [ -f "$dir/witness.key" ] || "$LUNZHI_BIN" witness keygen --name "witness.$member.local" --out "$dir" >/dev/null
        "$LUNZHI_BIN" witness serve --listen "127.0.0.1:$witness_port" --key "$dir/witness.key" \
            --log-key "$state/audit/audit.pub" --state "$dir/state.json" --evidence "$dir/evidence" --log-level warning &
        witness_pids+=($!)
        witness_args+=(--witness "http://127.0.0.1:$witness_port+$(cat "$dir/witness.pub")")
        witness_port=$((witness_port + 1))
    done
    port=${listen##*:}
    web=${LUNZHI_WEB_LISTEN:-127.0.0.1:7780}
    # The console server (and the web workspace) and the reminder daemon together; Ctrl-C stops both.
    "$LUNZHI_BIN" serve --listen "$listen" --web-listen "$web" --audit-key "$state/audit/audit.pub" \
        --checkpoint-log "$state/audit/checkpoints.log" &
    serve_pid=$!
    "$LUNZHI_BIN" remind --poll-interval 2 --checkpoint-key "$state/audit/audit.key" --file-channel-dir "$state" \
        --checkpoint-log "$state/audit/checkpoints.log" --checkpoint-interval 600 --tiles-dir "$state/tiles" "${witness_args[@]}" &
    remind_pid=$!
    trap 'kill $serve_pid $remind_pid "${witness_pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    # First run: every member of the default mechanism is reminded through a file, so reminders
    # are visible without a mail server (added through the console, so it is audited).
    if [ ! -f "$state/contacts.done" ] && [ -f "$state/operator.secret" ]; then
        for member in SN GS QH NX XJ; do
            LUNZHI_SECRET=$(cat "$state/operator.secret") "$LUNZHI_BIN" console --port "$port" --user operator \
                -c "MEMBER CONTACT ADD member=$member channel=file address=reminders.jsonl" >/dev/null || true
        done
        touch "$state/contacts.done"
    fi
    lunzhi_log "the web workspace (工作台): open http://$web/ and sign in as operator with the secret in .lunzhi/operator.secret:"
    lunzhi_log "  $(cat "$state/operator.secret" 2>/dev/null || echo '(see .lunzhi/operator.secret)')   (until you choose a passphrase there; then use it, here too)"
    lunzhi_log "console server on $listen and the reminder daemon are running; connect with:"
    lunzhi_log "  LUNZHI_SECRET=\$(cat .lunzhi/operator.secret) $LUNZHI_BIN console --port $port --user operator"
    lunzhi_log "reminders are appended to .lunzhi/reminders.jsonl; Ctrl-C stops both"
    lunzhi_log "verify the decision history: $LUNZHI_BIN audit verify --checkpoints .lunzhi/audit/checkpoints.log --public-key .lunzhi/audit/audit.pub $(for m in sn gs qh nx xj; do printf -- '--witness-key .lunzhi/witness/%s/witness.pub ' "$m"; done)"
    lunzhi_log "five local witnesses (one per member) on 127.0.0.1:7791-7795 cosign each checkpoint"
    lunzhi_log "the log as C2SP tiles in .lunzhi/tiles (mirror it; check it with: python3 docs/audit-verify.py tiles .lunzhi/tiles .lunzhi/audit/audit.pub)"
    wait $serve_pid
    ;;
stop)
    load_cluster_env
    if [ -n "${LUNZHI_LOCAL_DATADIR:-}" ] && lunzhi_cluster_running "$LUNZHI_LOCAL_DATADIR"; then
        lunzhi_cluster_stop "$LUNZHI_LOCAL_DATADIR"
        lunzhi_log "stopped the private cluster"
    else
        lunzhi_log "the private cluster is not running"
    fi
    ;;
status)
    if [ -z "${LUNZHI_DATABASE_URL:-}" ]; then
        load_cluster_env
        if [ -z "${LUNZHI_LOCAL_DATADIR:-}" ]; then lunzhi_log "no private cluster yet (run Deploy/local.sh)"; exit 1; fi
        lunzhi_cluster_running "$LUNZHI_LOCAL_DATADIR" || { lunzhi_log "the private cluster is stopped"; exit 1; }
        LUNZHI_DATABASE_URL=$(database_url)
        export LUNZHI_DATABASE_URL
    fi
    build
    "$LUNZHI_BIN" migrate --status
    ;;
env)
    load_cluster_env
    [ -n "${LUNZHI_LOCAL_DATADIR:-}" ] || { lunzhi_log "no private cluster yet (run Deploy/local.sh)"; exit 1; }
    echo "export LUNZHI_DATABASE_URL='$(database_url)'"
    ;;
*)
    echo "usage: Deploy/local.sh [run|stop|status|env]" >&2
    exit 2
    ;;
esac
