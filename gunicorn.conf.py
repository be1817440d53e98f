"""Gunicorn's settings for the web service (Dockerfile, docker-compose.yml).

Its worker processes each keep their own metrics; with PROMETHEUS_MULTIPROC_DIR set they write
them to files there and /metrics sums them (core/metrics.py). A worker that exits (restarted
after a timeout, say) is marked dead so that the figures which only the living report drop
its share; its counters stay, as a counter must never go down.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# TLS ends at the proxy in front, which says so in X-Forwarded-Proto.
forwarded_allow_ips = "*"

_json = os.environ.get("LOG_FORMAT", "plain") == "json"
# Every request is logged by the app itself (core/observe.py) with its id, view and user id;
# gunicorn's access line would repeat it in a second format, so only plain logs keep it.
accesslog = None if _json else "-"
if _json:
    # Gunicorn's own lines (start, worker timeouts) as JSON too: one format for the collector.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "core.logs.JsonFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False}
        },
    }


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        from core.metrics import process_id

        multiprocess.mark_process_dead(process_id(worker.pid))
