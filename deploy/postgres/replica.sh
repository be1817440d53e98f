#!/bin/bash
# A hot-standby streaming replica of the primary (PRIMARY_HOST): cloned once with
# pg_basebackup, then following it. Read-only work goes here (DATABASE_REPLICA_URL).
# The primary keeps WAL_KEEP_SIZE of WAL for a replica that falls behind (docker-compose.scale.yml);
# no replication slot, so a replica that is gone for good never fills the primary's disk.
set -euo pipefail
: "${PGDATA:?}" "${PGPASSWORD:?set REPLICATION_PASSWORD}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_basebackup --host="${PRIMARY_HOST:-db}" --username="${REPLICATION_USER:-replicator}" \
            --pgdata="$PGDATA" --wal-method=stream --write-recovery-conf --checkpoint=fast; do
        echo "replica: the primary is not ready to be cloned yet; again in 5 s" >&2
        rm -rf "${PGDATA:?}"/*
        sleep 5
    done
    chmod 700 "$PGDATA"
fi
# hot_standby_feedback: a long dashboard read on the replica is not cancelled by the primary's
# vacuum removing rows it still needs (at the cost of some bloat on the primary).
# Arguments go on to postgres (settings of this replica: -c work_mem=64MB, say).
exec postgres -c hot_standby=on -c hot_standby_feedback=on "$@"
