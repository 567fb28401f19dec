# retrosense in a container, for a Raspberry Pi (arm64) or any Linux host next to Home
# Assistant. BlueZ stays on the host: the container talks to it over the host's system D-Bus
# socket (compose.yaml mounts it), so Bluetooth needs no privileges in here.
#
#   docker compose up -d --build           (see compose.yaml)
#   docker build -t retrosense .            (or by hand)
#
# BASE: any Debian-based image with python3 (3.11+) and its venv module.
ARG BASE=python:3.12-slim-bookworm
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

COPY pyproject.toml README.md LICENSE /src/
COPY analysis /src/analysis
COPY sensor /src/sensor
COPY config /src/config
RUN python3 -m venv /opt/retrosense \
    && /opt/retrosense/bin/pip install --no-compile /src \
    && rm -rf /src

# /config holds config.toml (`docker compose run --rm retrosense config init` writes a
# starter one); /data the outbox (messages waiting for the broker) and session recordings.
ENV PATH=/opt/retrosense/bin:$PATH \
    RETROSENSE_CONFIG=/config/config.toml \
    XDG_STATE_HOME=/data \
    XDG_DATA_HOME=/data
VOLUME ["/config", "/data"]

# SIGTERM is the clean stop (bands stopped, recordings closed, outbox flushed).
STOPSIGNAL SIGTERM
ENTRYPOINT ["retrosense"]
CMD ["run"]
