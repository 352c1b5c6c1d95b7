#!/usr/bin/env bash
# avfleet quick start: set everything up on this machine and scan the bundled samples.
#
#   scripts/quickstart.sh [FILE|DIR|MBOX…]
#
# 1. installs the npm dependencies and builds (npm ci, npm run build) when needed;
# 2. makes sure Redis answers on 127.0.0.1:6379 (starts Debian's redis-server if installed);
# 3. starts clamd from Debian's clamav-daemon on 127.0.0.1:3310 with the project's own
#    signature database when none is running (scripts/ensure-clamd.sh);
# 4. runs `avfleet scan` in-process (local Redis, folder store, examples/antivirus.conf)
#    on the given files or, by default, on examples/samples/.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if (( node_major < 20 )); then
  echo "avfleet: Node.js 20 or newer is required (found: $(node -v 2>/dev/null || echo none))" >&2
  exit 2
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "avfleet: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "avfleet: building (npm run build)"
npm run --silent build

redis_answers() { timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379 && printf "PING\r\n" >&3 && IFS= read -r r <&3 && [[ "$r" == +PONG* ]]' 2>/dev/null; }
if [[ -z "${AVFLEET_REDIS_URL:-}" ]] && ! redis_answers; then
  if command -v redis-server >/dev/null; then
    echo "avfleet: starting redis-server on 127.0.0.1:6379 (no persistence)"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --maxmemory-policy noeviction >/dev/null
    for _ in $(seq 1 50); do redis_answers && break; sleep 0.1; done
  else
    echo "avfleet: no Redis answers on 127.0.0.1:6379; install one (apt-get install redis-server) or set AVFLEET_REDIS_URL" >&2
    exit 2
  fi
fi

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
exit "$status"
