#!/usr/bin/env bash
# Installs what avfleet needs on a Debian 12 machine with Node.js 20, for one of two uses.
# The one list of what a scan and the tests need: scripts/quickstart.sh, scripts/run-tests.sh
# and .ci/run all call it.
#
#   scripts/install-deps.sh scan [--only STEP]   what a scan needs (scripts/quickstart.sh)
#   scripts/install-deps.sh test [--only STEP]   what `npm test` needs (scripts/run-tests.sh, .ci/run)
#   scripts/install-deps.sh --list scan|test     prints the profile's Debian packages
#   scripts/install-deps.sh --stop-redis         stops the Redis this script started
#
# Steps, in this order (--only runs one of them):
#   packages  the profile's Debian packages that are missing, installed with apt-get as root
#             (--no-install-recommends; a temporary /usr/sbin/policy-rc.d keeps their
#             services — clamd, freshclam, c-icap, rspamd, redis — from starting: avfleet and
#             the tests start their own). Not root: says what is missing and how to install it.
#   npm       `npm ci` when node_modules is missing or older than package-lock.json.
#   redis     starts redis-server on 127.0.0.1:6379 (no persistence, maxmemory-policy
#             noeviction) when nothing answers PING there. It keeps running afterwards;
#             `--stop-redis` stops it. The scan profile skips this when AVFLEET_REDIS_URL is set.
# Idempotent: what is present is left alone. State (Redis pid, log) lives in
# ${AVFLEET_STATE_DIR:-~/.local/state/avfleet}/redis/.
# Exit status: 0 done, 1 something could not be installed or started, 2 usage.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
redis_dir="${AVFLEET_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/avfleet}/redis"
redis_pid_file="$redis_dir/redis.pid"
# shellcheck source-path=SCRIPTDIR source=lib/stop-pid-file.sh
source "$repo_root/scripts/lib/stop-pid-file.sh"

scan_packages=(clamav-daemon clamav redis-server)
# The integration tests also run c-icap with virus_scan, rspamc (rspamd) and promtool (prometheus),
# a private Postfix driven by swaks (miltertest drives the milter without an MTA), clamdscan
# and clamav-milter as clients of the clamd front end, and a private Redis Cluster of
# redis-server processes created with redis-cli (redis-tools; test/helpers/start-redis-cluster.ts).
test_packages=("${scan_packages[@]}" redis-tools clamdscan clamav-milter c-icap libc-icap-mod-virus-scan rspamd prometheus postfix swaks miltertest)

usage() {
  sed -n '6,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
die() {
  echo "avfleet: $*" >&2
  exit 1
}

packages_of() {
  case "$1" in
    scan) printf '%s\n' "${scan_packages[@]}" ;;
    test) printf '%s\n' "${test_packages[@]}" ;;
    *) usage ;;
  esac
}

# The packages among "$@" that dpkg does not list as installed.
missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "$pkg"
  done
}

created_policy=0
remove_policy() {
  if [[ $created_policy == 1 ]]; then
    rm -f /usr/sbin/policy-rc.d
    created_policy=0
  fi
}
trap remove_policy EXIT

step_packages() {
  local profile="$1" wanted need
  mapfile -t wanted < <(packages_of "$profile")
  if ! command -v dpkg-query >/dev/null; then
    echo "avfleet: not a Debian system (no dpkg-query): make sure these are installed: ${wanted[*]}"
    return 0
  fi
  mapfile -t need < <(missing_packages "${wanted[@]}")
  if [[ ${#need[@]} -eq 0 ]]; then
    echo "avfleet: Debian packages present: ${wanted[*]}"
    return 0
  fi
  if [[ "$(id -u)" != 0 ]]; then
    echo "avfleet: missing Debian packages: ${need[*]}" >&2
    echo "         install them as root: sudo $repo_root/scripts/install-deps.sh $profile --only packages" >&2
    echo "         (or: sudo apt-get install --no-install-recommends ${need[*]})" >&2
    exit 1
  fi
  command -v apt-get >/dev/null || die "apt-get not found; install these yourself: ${need[*]}"
  # Keep the packages' own services from starting (the tests run their own instances on
  # other ports, freshclam may not reach its mirrors); removed again on exit.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created_policy=1
  fi
  echo "avfleet: installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Postfix installs without its configuration dialog (the tests run private instances).
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}"
  remove_policy
  mapfile -t need < <(missing_packages "${wanted[@]}")
  [[ ${#need[@]} -eq 0 ]] || die "still missing after apt-get install: ${need[*]}"
}

step_npm() {
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if (( major < 20 )); then
    die "Node.js 20 or newer is required (found: $(node -v 2>/dev/null || echo none))"
  fi
  cd "$repo_root"
  if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "avfleet: installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  else
    echo "avfleet: npm dependencies up to date"
  fi
}

# PING over bash's /dev/tcp (no redis-cli needed).
# shellcheck disable=SC2016 # the inner script's variables are its own
redis_answers() {
  timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379 && printf "PING\r\n" >&3 && IFS= read -r r <&3 && [[ "$r" == +PONG* ]]' 2>/dev/null
}

step_redis() {
  local profile="$1"
  if [[ "$profile" == scan && -n "${AVFLEET_REDIS_URL:-}" ]]; then
    echo "avfleet: AVFLEET_REDIS_URL is set; not checking 127.0.0.1:6379"
    return 0
  fi
  if redis_answers; then
    echo "avfleet: Redis answers on 127.0.0.1:6379"
    return 0
  fi
  command -v redis-server >/dev/null || die "no Redis answers on 127.0.0.1:6379 and redis-server is not installed; run: sudo $repo_root/scripts/install-deps.sh $profile"
  mkdir -p "$redis_dir"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --maxmemory-policy noeviction --dir "$redis_dir" --pidfile "$redis_pid_file" --logfile "$redis_dir/redis.log" \
    || die "redis-server did not start; see $redis_dir/redis.log"
  for _ in $(seq 1 100); do redis_answers && break; sleep 0.1; done
  redis_answers || die "Redis did not answer PING on 127.0.0.1:6379 within 10 s; see $redis_dir/redis.log"
  echo "avfleet: started redis-server on 127.0.0.1:6379 (pid $(cat "$redis_pid_file" 2>/dev/null || echo '?'), log $redis_dir/redis.log)."
  echo "         It keeps running; stop it with: $repo_root/scripts/install-deps.sh --stop-redis"
}

case "${1:-}" in
  --stop-redis) stop_pid_file redis-server "$redis_pid_file"; exit 0 ;;
  --list) [[ $# -eq 2 ]] || usage; packages_of "$2"; exit 0 ;;
  scan | test) profile="$1"; shift ;;
  *) usage ;;
esac
only=""
if [[ $# -gt 0 ]]; then
  [[ $# -eq 2 && "$1" == --only ]] || usage
  case "$2" in packages | npm | redis) only="$2" ;; *) usage ;; esac
fi

if [[ -z "$only" || "$only" == packages ]]; then step_packages "$profile"; fi
if [[ -z "$only" || "$only" == npm ]]; then step_npm; fi
if [[ -z "$only" || "$only" == redis ]]; then step_redis "$profile"; fi
