#!/bin/bash
# Run once by the postgres image when it creates the primary's data directory
# (/docker-entrypoint-initdb.d): a role the replica clones and follows with, allowed to connect
# for replication. An existing primary: run the same two steps by hand, then reload.
set -euo pipefail
psql -v ON_ERROR_STOP=1 -v password="$REPLICATION_PASSWORD" \
    --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
# "all" in pg_hba.conf does not cover replication connections: they need a line of their own.
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
