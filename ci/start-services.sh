#!/usr/bin/env bash
# Start PostgreSQL and Redis on 127.0.0.1 if they are not running, and make sure the
# test database and its user exist (the seed's names: flexmeasures_test / flexmeasures_test).
set -euo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}

start_postgres() {
  if pg_isready -q -h "$PG_HOST"; then return; fi
  echo "Starting PostgreSQL ..."
  if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  else
    echo "PostgreSQL is not running and no pg_ctlcluster was found; install it with" \
         "'apt-get install postgresql' or point SQLALCHEMY_TEST_DATABASE_URI elsewhere." >&2
    exit 1
  fi
  for _ in $(seq 1 30); do pg_isready -q -h "$PG_HOST" && return; sleep 1; done
  echo "PostgreSQL did not start." >&2; exit 1
}

start_redis() {
  if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then return; fi
  echo "Starting Redis ..."
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return; sleep 1; done
  echo "Redis did not start." >&2; exit 1
}

as_postgres() {
  # Run psql as the database superuser, whichever way this machine allows.
  if psql -h "$PG_HOST" -U postgres -tAc "select 1" >/dev/null 2>&1; then
    psql -h "$PG_HOST" -U postgres -v ON_ERROR_STOP=1 "$@"
  else
    su postgres -c "psql -v ON_ERROR_STOP=1 $(printf '%q ' "$@")"
  fi
}

create_test_database() {
  local name=$1
  if ! as_postgres -tAc "select 1 from pg_roles where rolname='flexmeasures_test'" | grep -q 1; then
    as_postgres -c "CREATE USER flexmeasures_test WITH PASSWORD 'flexmeasures_test' CREATEDB;"
  fi
  if ! as_postgres -tAc "select 1 from pg_database where datname='$name'" | grep -q 1; then
    as_postgres -c "CREATE DATABASE $name WITH OWNER = flexmeasures_test;"
  fi
}

start_postgres
start_redis
create_test_database flexmeasures_test
create_test_database flexmeasures_test_migrations
echo "PostgreSQL and Redis are ready."
