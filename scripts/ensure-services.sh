#!/usr/bin/env bash
# Makes sure RabbitMQ (with the management API Nameko's test fixtures use),
# PostgreSQL and Redis answer on 127.0.0.1, starting them, or installing them on Debian
# as root, when they do not; and that docker-compose (which the suite uses to
# check docker-compose.yml; no Docker engine is needed) is installed.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() {
  local port=$1 what=$2
  for _ in $(seq 1 90); do
    port_open "$port" && return 0
    sleep 1
  done
  echo "$what did not come up on port $port" >&2
  return 1
}

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "cannot install $*: not root on Debian; install them and start them by hand" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# RabbitMQ
if ! port_open 5672; then
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  rabbitmq-server -detached || true
  wait_for_port 5672 RabbitMQ
fi
if ! port_open 15672; then
  rabbitmq-plugins enable rabbitmq_management >/dev/null
  wait_for_port 15672 "RabbitMQ management"
fi

# PostgreSQL
if ! port_open 5432; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for_port 5432 PostgreSQL
  # A fresh cluster asks for a password over TCP: give postgres the one the tests use.
  if command -v su >/dev/null && [ "$(id -u)" = 0 ]; then
    su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || true
  fi
fi
# Redis (the gateway's shared rate-limit counters)
if ! port_open 6379; then
  command -v redis-server >/dev/null || apt_install redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" >/dev/null
  wait_for_port 6379 Redis
fi

# docker-compose, for `docker-compose config -q` in the packaging tests
command -v docker-compose >/dev/null || apt_install docker-compose

echo "RabbitMQ, PostgreSQL and Redis are up"
