#!/usr/bin/env bash
# Makes sure a clamd answers on 127.0.0.1:3310 for avfleet's single-machine setup.
#
#   scripts/ensure-clamd.sh          start clamd unless something already answers PING
#   scripts/ensure-clamd.sh --stop   stop the clamd this script started
#
# It runs Debian's clamd (package clamav-daemon) as a background daemon with
# deploy/clamd/clamd.conf and the project's own signature database deploy/clamd/db
# (no freshclam, no internet). State (generated config, pid, log, socket) lives in
# ${AVFLEET_STATE_DIR:-~/.local/state/avfleet}/clamd/.
# Environment: AVFLEET_CLAMD_PORT (default 3310), AVFLEET_STATE_DIR.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${AVFLEET_CLAMD_PORT:-3310}"
state_dir="${AVFLEET_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/avfleet}/clamd"
conf="$state_dir/clamd.conf"
pid_file="$state_dir/clamd.pid"
log_file="$state_dir/clamd.log"
socket="$state_dir/clamd.sock"
db_dir="$state_dir/db"

# PING over bash's /dev/tcp (no netcat needed); succeeds when clamd answers PONG.
clamd_answers() {
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "zPING\0" >&3
    IFS= read -r -d "" reply <&3 || true
    [[ "$reply" == PONG* ]]' _ "$port" 2>/dev/null
}

# shellcheck source-path=SCRIPTDIR source=lib/stop-pid-file.sh
source "$repo_root/scripts/lib/stop-pid-file.sh"

if [[ "${1:-}" == "--stop" ]]; then
  stop_pid_file clamd "$pid_file"
  exit 0
fi

if clamd_answers; then
  echo "avfleet: clamd already answers on 127.0.0.1:$port"
  exit 0
fi

clamd_bin="$(command -v clamd || true)"
[[ -z "$clamd_bin" && -x /usr/sbin/clamd ]] && clamd_bin=/usr/sbin/clamd
if [[ -z "$clamd_bin" ]]; then
  echo "avfleet: clamd is not installed. Install it as root: sudo $repo_root/scripts/install-deps.sh scan --only packages" >&2
  echo "         (or point avfleet at an existing clamd in your config)" >&2
  exit 1
fi

mkdir -p "$state_dir"
rm -rf "$db_dir" && mkdir -p "$db_dir"
cp "$repo_root"/deploy/clamd/db/* "$db_dir/"
[[ -S "$socket" ]] && rm -f "$socket"
{
  grep -Ev '^[[:space:]]*(TCPSocket|DatabaseDirectory|LocalSocket|PidFile|LogFile|Foreground|User)[[:space:]]' "$repo_root/deploy/clamd/clamd.conf"
  echo "# --- added by scripts/ensure-clamd.sh ---"
  echo "TCPSocket $port"
  echo "DatabaseDirectory $db_dir"
  echo "LocalSocket $socket"
  echo "PidFile $pid_file"
  echo "LogFile $log_file"
  echo "Foreground no"
  if [[ "$(id -u)" == 0 ]]; then echo "User root"; fi
} >"$conf"

echo "avfleet: starting clamd on 127.0.0.1:$port (config $conf, log $log_file)"
if ! "$clamd_bin" -c "$conf" >>"$state_dir/clamd.out" 2>&1; then
  echo "avfleet: clamd failed to start; see $state_dir/clamd.out and $log_file:" >&2
  tail -n 20 "$state_dir/clamd.out" >&2 || true
  exit 1
fi
for _ in $(seq 1 300); do
  if clamd_answers; then
    echo "avfleet: clamd ready on 127.0.0.1:$port (pid $(cat "$pid_file" 2>/dev/null || echo '?'), stop it with: $0 --stop)"
    exit 0
  fi
  sleep 0.1
done
echo "avfleet: clamd did not answer PING on 127.0.0.1:$port within 30 s; see $log_file" >&2
tail -n 20 "$log_file" >&2 || true
exit 1
