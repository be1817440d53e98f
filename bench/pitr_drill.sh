#!/usr/bin/env bash
# Point-in-time recovery drill: proves deploy/pgbackrest/pgbackrest.conf and the README's
# recovery command on a throwaway PostgreSQL 15 cluster (port 5499, under $DRILL_DIR).
# A full backup, then a "bad import" (an onboarding_importrun row, every resident renamed,
# 50 residents added), then recovery to a moment between the two with
#   pgbackrest --stanza=grid --delta --type=time "--target=<time>" --target-action=promote restore
# and the residents counted: 100 good ones, none touched by the import.
# Needs root (the cluster runs as postgres), pgbackrest and postgresql-15.
#   sudo bash bench/pitr_drill.sh
set -euo pipefail

DRILL_DIR=${DRILL_DIR:-/tmp/grid-pitr-drill}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PORT=5499
HERE=$(cd "$(dirname "$0")/.." && pwd)
D=$DRILL_DIR
as_pg() { su postgres -c "$*"; }
sql() { psql -h "$D" -p $PORT -U postgres -At -c "$1"; }

rm -rf "$D"
mkdir -p "$D/repo" "$D/spool" "$D/log"
# The committed sample with this drill's paths, port and a throwaway passphrase.
sed -e "s#^repo1-path=.*#repo1-path=$D/repo#" -e "s#^spool-path=.*#spool-path=$D/spool#" \
    -e "s#^pg1-path=.*#pg1-path=$D/data#" -e "s#^pg1-port=.*#pg1-port=$PORT#" \
    -e "s#^pg1-socket-path=.*#pg1-socket-path=$D#" \
    -e "s#^repo1-cipher-pass=.*#repo1-cipher-pass=drill-only-$(date +%s%N)#" \
    "$HERE/deploy/pgbackrest/pgbackrest.conf" > "$D/pgbackrest.conf"
echo "log-path=$D/log" >> "$D/pgbackrest.conf"
chmod 600 "$D/pgbackrest.conf"
chown -R postgres "$D"
BR="pgbackrest --config=$D/pgbackrest.conf --stanza=grid"

as_pg "$PG_BIN/initdb -D $D/data -A trust -U postgres" > /dev/null
cat >> "$D/data/postgresql.conf" <<EOF
port = $PORT
unix_socket_directories = '$D'
listen_addresses = ''
wal_level = replica
archive_mode = on
archive_command = 'pgbackrest --config=$D/pgbackrest.conf --stanza=grid archive-push %p'
archive_timeout = 60
shared_buffers = 32MB
EOF
stop() { as_pg "$PG_BIN/pg_ctl -D $D/data -w stop" > /dev/null 2>&1 || true; }
trap stop EXIT
as_pg "$PG_BIN/pg_ctl -D $D/data -l $D/pg.log -w start" > /dev/null

as_pg "$BR stanza-create" > /dev/null
as_pg "$BR check" > /dev/null
as_pg "$BR --type=full backup" > /dev/null
sql "CREATE TABLE onboarding_importrun (id serial PRIMARY KEY, confirmed_at timestamptz);
     CREATE TABLE residents (id serial PRIMARY KEY, name text);
     INSERT INTO residents (name) SELECT 'resident ' || g FROM generate_series(1, 100) g;" > /dev/null
sleep 2
sql "INSERT INTO onboarding_importrun (confirmed_at) VALUES (now());
     UPDATE residents SET name = 'BAD';
     INSERT INTO residents (name) SELECT 'bad ' || g FROM generate_series(1, 50) g;" > /dev/null
sql "SELECT pg_switch_wal()" > /dev/null
# The README's query, with a 1-second margin instead of 5 minutes (the drill is seconds long).
TARGET=$(sql "SET TIME ZONE 'Asia/Shanghai';
              SELECT to_char(confirmed_at - interval '1 second', 'YYYY-MM-DD HH24:MI:SSOF')
              FROM onboarding_importrun ORDER BY confirmed_at DESC LIMIT 1" | tail -1)
# WAL up to the import must be in the repository before the server goes.
for _ in $(seq 1 30); do
    if [ "$(sql "SELECT last_archived_wal IS NOT NULL AND failed_count = 0 FROM pg_stat_archiver")" = t ] \
        && as_pg "$BR check" > /dev/null 2>&1; then break; fi
    sleep 1
done
echo "bad import confirmed; recovering to $TARGET"

stop
as_pg "$BR --delta --type=time \"--target=$TARGET\" --target-action=promote restore" > /dev/null
as_pg "$PG_BIN/pg_ctl -D $D/data -l $D/pg.log -w start" > /dev/null
for _ in $(seq 1 30); do
    [ "$(sql "SELECT pg_is_in_recovery()")" = f ] && break
    sleep 1
done

RESULT=$(sql "SELECT count(*) || ' residents, ' || count(*) FILTER (WHERE name = 'BAD') || ' renamed, '
                     || (SELECT count(*) FROM onboarding_importrun) || ' import rows'
              FROM residents")
grep -E "recovery stopping|selected new timeline" "$D/pg.log" | sed 's/^/  postgres: /'
echo "after recovery: $RESULT"
if [ "$RESULT" != "100 residents, 0 renamed, 0 import rows" ]; then
    echo "PITR DRILL FAILED" >&2
    exit 1
fi
as_pg "$BR --type=full backup" > /dev/null  # the new timeline's first backup, as the README says
echo "PITR DRILL PASSED"
