#!/usr/bin/env bash
# A local streaming replica of this machine's PostgreSQL, for the read-replica tests
# (tests/core/test_replica.py) and for trying DATABASE_REPLICA_URL by hand:
#
#   bash scripts/replica.sh start    # base backup of 127.0.0.1:5432, hot standby on 5433
#   bash scripts/replica.sh status   # up or not, and how far its replay is behind
#   bash scripts/replica.sh stop
#
#   DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:5433/<the primary's database name>
#
# Runs as root (as CI does) or as postgres. It lets the primary accept replication
# connections from 127.0.0.1 without a password (one line appended to its pg_hba.conf, once),
# as its other local connections already are. Every start takes a fresh base backup: no
# replication slot is left behind to hold WAL on the primary when the replica is gone.
set -euo pipefail

VERSION=${PG_VERSION:-$(ls /etc/postgresql | sort -V | tail -n 1)}
BIN=/usr/lib/postgresql/$VERSION/bin
HBA=/etc/postgresql/$VERSION/main/pg_hba.conf
PRIMARY_PORT=${PRIMARY_PORT:-5432}
PORT=${REPLICA_PORT:-5433}
DIR=${REPLICA_DIR:-/var/lib/postgresql/$VERSION/replica}
LOG=$DIR.log
RULE="host replication all 127.0.0.1/32 trust"

as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

primary() { psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -qAtX -d postgres -c "$1"; }
replica() { psql -h 127.0.0.1 -p "$PORT" -U postgres -qAtX -d postgres -c "$1"; }

running() { pg_isready -q -h 127.0.0.1 -p "$PORT"; }

allow_replication() {
    if ! grep -qxF "$RULE" "$HBA"; then
        printf '# Streaming replicas on this machine (scripts/replica.sh)\n%s\n' "$RULE" >>"$HBA"
    fi
    # The rule may have been added by hand since the last reload: reloading is harmless.
    primary "SELECT pg_reload_conf()" >/dev/null
}

settings() {
    # A hot standby refuses to start with fewer of these than its primary has.
    local name
    for name in max_connections max_worker_processes max_wal_senders \
        max_prepared_transactions max_locks_per_transaction; do
        printf '%s = %s\n' "$name" "$(primary "SHOW $name")"
    done
}

start() {
    if running; then
        if [ "$(replica "SELECT pg_is_in_recovery()")" = t ]; then
            echo "replica already streaming on port $PORT"
            return 0
        fi
        echo "port $PORT answers but is not a standby: refusing to touch it" >&2
        return 1
    fi
    pg_isready -q -h 127.0.0.1 -p "$PRIMARY_PORT" || {
        echo "the primary does not answer on 127.0.0.1:$PRIMARY_PORT" >&2
        return 1
    }
    allow_replication
    # A replica stopped earlier is not reused: the WAL it would need may be gone.
    if [ -f "$DIR/postmaster.pid" ]; then
        as_postgres "$BIN/pg_ctl" -D "$DIR" stop -m immediate >/dev/null 2>&1 || true
    fi
    rm -rf "$DIR"
    mkdir -p "$DIR"
    chown postgres:postgres "$DIR"
    chmod 700 "$DIR"
    touch "$LOG"
    chown postgres:postgres "$LOG"
    as_postgres "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
        -D "$DIR" -R -X stream --checkpoint=fast
    # Debian keeps the configuration outside the data directory, so the copy has none.
    {
        echo "# The streaming replica made by scripts/replica.sh"
        echo "port = $PORT"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '/var/run/postgresql'"
        echo "hot_standby = on"
        echo "shared_buffers = 32MB"
        settings
    } >"$DIR/postgresql.conf"
    printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$DIR/pg_hba.conf"
    : >"$DIR/pg_ident.conf"
    chown postgres:postgres "$DIR/postgresql.conf" "$DIR/pg_hba.conf" "$DIR/pg_ident.conf"
    as_postgres "$BIN/pg_ctl" -D "$DIR" -l "$LOG" -w -t 60 start >/dev/null
    for _ in $(seq 60); do
        running && break
        sleep 1
    done
    if ! running || [ "$(replica "SELECT pg_is_in_recovery()")" != t ]; then
        echo "the replica did not start; its log:" >&2
        tail -n 30 "$LOG" >&2
        return 1
    fi
    echo "replica streaming on port $PORT ($DIR)"
}

stop() {
    if [ -f "$DIR/postmaster.pid" ]; then
        as_postgres "$BIN/pg_ctl" -D "$DIR" stop -m fast -w >/dev/null
        echo "replica stopped"
    else
        echo "no replica running from $DIR"
    fi
}

status() {
    if ! running; then
        echo "no replica on port $PORT"
        return 3
    fi
    replica "SELECT 'recovery: ' || pg_is_in_recovery()
        || ', replay: ' || pg_get_wal_replay_pause_state()
        || ', behind the primary by '
        || pg_wal_lsn_diff('$(primary "SELECT pg_current_wal_lsn()")', pg_last_wal_replay_lsn())
        || ' bytes'"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
