# Production image: gunicorn serves the app; the same image runs the Celery worker and beat.
# postgresql-client (15 on bookworm, as the database) and gnupg: scripts/backup.py.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    VAR_DIR=/app/var
WORKDIR /app

RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext postgresql-client gnupg \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 1000 --home /app grid

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# collectstatic needs settings; these throwaway values exist only for the build step.
RUN DEBUG=false SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py collectstatic --noinput \
 && mkdir -p /app/var && chown -R grid /app/var

USER grid
EXPOSE 8000
# Workers, binding and logs: gunicorn.conf.py. Set PROMETHEUS_MULTIPROC_DIR (an empty
# directory) for /metrics to sum the workers' figures (README "Metrics and logs").
CMD ["gunicorn", "governance.wsgi:application", "-c", "gunicorn.conf.py"]
