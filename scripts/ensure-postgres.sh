#!/usr/bin/env bash
# Make a PostgreSQL server answer on 127.0.0.1:5432 for the test suite.
# Starts an installed but stopped Debian cluster; in CI (CI=true, as root) it
# also installs Debian's postgresql if it is missing. Elsewhere a missing server
# only means the PostgreSQL tests skip, saying so.
set -u
ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
ready && exit 0
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing PostgreSQL for the tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL is not installed here: its tests will skip"
    exit 0
  fi
fi
for version in $(ls /etc/postgresql 2>/dev/null); do
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
done
for _ in $(seq 30); do ready && exit 0; sleep 1; done
echo "PostgreSQL did not start on 127.0.0.1:5432: its tests will skip (and fail in CI)"
exit 0
