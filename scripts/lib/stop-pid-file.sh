# shellcheck shell=bash
# Sourced by scripts/ensure-clamd.sh and scripts/install-deps.sh.
# stop_pid_file NAME PID_FILE: stops the daemon whose pid PID_FILE holds (SIGTERM, up to
# 5 s), if it still runs, and removes the file; says what it did either way.
stop_pid_file() {
  local name="$1" pid_file="$2" pid=""
  [[ -f "$pid_file" ]] && pid="$(cat "$pid_file")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "avfleet: stopped $name (pid $pid)"
    rm -f "$pid_file"
  else
    echo "avfleet: no $name started by this script is running"
  fi
}
