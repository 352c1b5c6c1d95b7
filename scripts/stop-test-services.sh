#!/usr/bin/env bash
# Stops the integration-test services (clamd, c-icap, s3rver) that test/helpers/global-setup.ts
# started and recorded in .tmp/services/state.json: after a jest run that was killed, or
# one run with AVFLEET_KEEP_TEST_SERVICES=1. Services it did not start are left alone.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="$repo_root/.tmp/services/state.json"
[[ -f "$state" ]] || { echo "avfleet: no test services recorded"; exit 0; }
pids="$(node -e 'const s=require(process.argv[1]);for(const n of ["cicap","s3rver","clamd"]) if(s[n]) console.log(n+" "+s[n].pid)' "$state")"
while read -r name pid; do
  [[ -n "${pid:-}" ]] || continue
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
    echo "avfleet: stopped $name (pid $pid)"
  fi
done <<<"$pids"
echo '{}' >"$state"
rm -rf "$repo_root/.tmp/services/users"
