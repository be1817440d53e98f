#!/usr/bin/env bash
# Start the web server, a Celery worker and beat on the embedded default (SQLite and a
# filesystem broker: no PostgreSQL or Redis), with the demo district. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
VENV=${VENV:-.venv}
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}
export DEBUG=${DEBUG:-true}
# Links in the demo's SMS and robot messages point at this server.
export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-http://$HOST:$PORT}

"$PY" manage.py migrate --noinput
"$PY" manage.py seed_demo

mkdir -p var
# Web and worker processes write their metrics to files here, and /metrics sums them: the
# worker's task latencies show up too (README "Metrics and logs"). Emptied at each start.
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$PWD/var/metrics}
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
find "$PROMETHEUS_MULTIPROC_DIR" -name '*.db' -delete
trap 'trap - EXIT; kill 0 2>/dev/null' INT TERM EXIT
# One worker for every queue here (settings.CELERY_TASK_ROUTES; tests/core/test_queues.py).
"$VENV/bin/celery" -A governance worker -B -Q sweep,celery,deliveries,imports,rollups \
    --pool=threads --concurrency=2 \
    --loglevel=INFO \
    --schedule=var/celerybeat-schedule >var/celery.log 2>&1 &
echo
echo "Celery worker and beat started (log: var/celery.log)."
echo "Grid Governance: http://$HOST:$PORT/   health: http://$HOST:$PORT/healthz"
echo
"$PY" manage.py runserver "$HOST:$PORT" &
wait
