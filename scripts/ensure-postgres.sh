#!/usr/bin/env bash
# Make sure the PostgreSQL at 127.0.0.1:5432 that the test suite uses is up (start it if not).
set -euo pipefail
ready() { pg_isready -q -h 127.0.0.1 -p 5432; }
if ready; then exit 0; fi
if ! command -v pg_ctlcluster >/dev/null; then
  echo "error: PostgreSQL is not running on 127.0.0.1:5432 and pg_ctlcluster is not installed." >&2
  echo "Install PostgreSQL (apt-get install postgresql) or start it, then re-run." >&2
  exit 1
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
echo "Starting PostgreSQL $version ..."
pg_ctlcluster --skip-systemctl-redirect "$version" main start
for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
echo "error: PostgreSQL did not become ready on 127.0.0.1:5432 within 30 s" >&2
exit 1
