# The compose stack's Postgres: the official 15 image plus wal2json, from the
# PGDG repository the image already has configured.
FROM postgres:15-bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15-wal2json \
 && rm -rf /var/lib/apt/lists/*
