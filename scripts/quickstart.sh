#!/usr/bin/env bash
# avfleet quick start: set everything up on this machine and scan the bundled samples.
#
#   scripts/quickstart.sh [FILE|DIR|MBOX…]
#
# 1. installs what a scan needs (scripts/install-deps.sh scan): the missing Debian packages
#    (clamav-daemon, clamav, redis-server; as root), the npm dependencies (npm ci when
#    needed), and starts Redis on 127.0.0.1:6379 when none answers;
# 2. builds (npm run build);
# 3. starts clamd from Debian's clamav-daemon on 127.0.0.1:3310 with the project's own
#    signature database when none is running (scripts/ensure-clamd.sh);
# 4. runs `avfleet scan` in-process (local Redis, folder store, examples/antivirus.conf)
#    on the given files or, by default, on examples/samples/.
# Redis and clamd keep running afterwards (for more scans, `avfleet producer` and
# `avfleet worker`); the last lines say how to stop the ones these scripts started.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

bash scripts/install-deps.sh scan
echo "avfleet: building (npm run build)"
npm run --silent build

bash scripts/ensure-clamd.sh

if (( $# == 0 )); then set -- examples/samples; fi
echo "avfleet: scanning $*"
status=0
node apps/cli/bin/avfleet.js scan "$@" || status=$?
case "$status" in
  0) echo "avfleet: done — no virus found" ;;
  1) echo "avfleet: done — some messages carry a virus, encrypted or macro verdict (exit status 1 of avfleet scan)"; status=0 ;;
  *) echo "avfleet: the scan reported an error (exit status $status)" >&2 ;;
esac
echo "avfleet: Redis and clamd keep running. Stop the ones these scripts started with:"
echo "         scripts/install-deps.sh --stop-redis && scripts/ensure-clamd.sh --stop"
exit "$status"
