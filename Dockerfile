# scrm-bot: `docker build -t scrm-bot .`, then for example
#   docker run -d --name scrm-bot --env-file /etc/scrm-bot/env -p 127.0.0.1:8080:8080 \
#     -v scrm-data:/var/lib/scrm-bot/data --stop-timeout 40 scrm-bot
# Without SCRM_REDIS_URL the embedded Redis keeps its data (AOF) in the volume; with several
# containers or machines, point SCRM_REDIS_URL at one shared Redis instead.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SCRM_DATA_DIR=/var/lib/scrm-bot/data

# tini as PID 1: forwards `docker stop`'s SIGTERM to the supervisor and reaps orphans
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 scrm \
    && useradd --system --uid 10001 --gid scrm --home-dir /var/lib/scrm-bot --create-home \
       --shell /usr/sbin/nologin scrm \
    && mkdir -p /var/lib/scrm-bot/data \
    && chown -R scrm:scrm /var/lib/scrm-bot

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY scripts_library ./scripts_library
COPY sidebar_web ./sidebar_web
RUN pip install . && rm -rf /src

USER scrm
WORKDIR /var/lib/scrm-bot
VOLUME ["/var/lib/scrm-bot/data"]
EXPOSE 8080

# liveness only (/readyz is for the load balancer: a Redis outage is no reason to restart)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=3).status != 200)"]

# the supervisor drains its workers on SIGTERM within 25 s: give `docker stop` --stop-timeout 40
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["scrm-bot", "serve", "--host", "0.0.0.0", "--port", "8080", "--workers", "2"]
