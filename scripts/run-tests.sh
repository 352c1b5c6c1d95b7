#!/usr/bin/env bash
# Runs every avfleet test on this machine after installing what they need.
#
#   scripts/run-tests.sh [JEST ARGS…]
#
# 1. scripts/install-deps.sh test: the missing Debian packages the integration tests use
#    (clamav-daemon, clamav, redis-server, redis-tools, c-icap, libc-icap-mod-virus-scan, rspamd,
#    prometheus; as root), `npm ci` when needed, Redis on 127.0.0.1:6379 when none answers;
# 2. npm test (build, lint, then jest: unit and integration tests), with JEST ARGS passed on.
# A developer whose machine already has all that runs `npm test` directly. .ci/run calls
# the same scripts/install-deps.sh.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

bash scripts/install-deps.sh test
exec npm test -- "$@"
