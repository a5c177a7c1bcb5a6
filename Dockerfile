# One image for the whole stack: web (gunicorn, the default CMD), Celery worker and beat,
# and the one-shot migrate service; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=sales_perf.settings \
    WEB_CONCURRENCY=3

# gettext: msgfmt for compilemessages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Requirements first, so a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files and translations are built into the image. Production settings need a secret
# to import; this one exists only during the build and is not kept in the image.
RUN export DJANGO_DEBUG=0 \
        DJANGO_SECRET_KEY=build-only-placeholder-never-used-at-run-time-0123456789abcdef \
        DJANGO_ALLOWED_HOSTS=localhost \
    && python manage.py collectstatic --noinput --verbosity 0 \
    && if [ -d locale ]; then python manage.py compilemessages --verbosity 0; fi

# Uploads wait here for their import job (a volume shared by web and worker, docker-compose.yml);
# the only folder the app user writes to.
RUN mkdir -p /srv/media && chown app /srv/media
ENV DJANGO_MEDIA_ROOT=/srv/media

# The code stays owned by root: the app user can read it, not change it.
USER app

EXPOSE 8000

# Workers: gunicorn reads WEB_CONCURRENCY; more options through GUNICORN_CMD_ARGS.
CMD ["gunicorn", "sales_perf.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
