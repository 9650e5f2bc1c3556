#!/usr/bin/env bash
# The scale-out tests need NATS JetStream (127.0.0.1:4222) and PostgreSQL 15 with PostGIS (127.0.0.1:5432).
# Installs Debian's postgresql-15-postgis-3 when the server lacks PostGIS, enables it in the test database,
# and fails when either service is unreachable (the tests would fail anyway in CI; this says why first).
set -euo pipefail
PGHOST="${PGHOST:-127.0.0.1}"
PGUSER="${PGUSER:-postgres}"
export PGHOST PGUSER
if ! psql -d postgres -Atc "SELECT 1" >/dev/null 2>&1; then
  echo "ensure_services: PostgreSQL is not reachable at $PGHOST:5432 as $PGUSER" >&2
  exit 1
fi
if [ -z "$(psql -d postgres -Atc "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")" ]; then
  echo "ensure_services: installing postgresql-15-postgis-3"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql-15-postgis-3
fi
psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 || psql -d postgres -qc "CREATE DATABASE test"
psql -d test -qc "CREATE EXTENSION IF NOT EXISTS postgis"
if ! (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
  echo "ensure_services: NATS is not reachable at 127.0.0.1:4222 (start nats-server -js)" >&2
  exit 1
fi
echo "ensure_services: PostgreSQL (PostGIS $(psql -d test -Atc 'SELECT postgis_lib_version()')) and NATS reachable"
