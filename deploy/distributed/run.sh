#!/usr/bin/env bash
# Start PostgreSQL, Kafka and every process of deploy/distributed/Procfile, restarting any that dies.
# Ctrl-C (or SIGTERM) stops them all. Logs: var/distributed/<name>.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
ANGELI="${ANGELI:-$ROOT/.venv/bin/angeli}"
LOGS="${ANGELI_LOGS:-$ROOT/var/distributed}"
PROCFILE="${PROCFILE:-$ROOT/deploy/distributed/Procfile}"
export ANGELI_MODE=distributed

bash deploy/postgres/start.sh
bash deploy/kafka/start.sh
"$ANGELI" topics
mkdir -p "$LOGS"

stopping=0
supervise() {  # name, args...: run, and restart after a crash (a standby may already have taken over)
    local name="$1"; shift
    while (( ! stopping )); do
        echo "$(date -Is) starting $name: angeli $*" >>"$LOGS/$name.log"
        "$ANGELI" "$@" >>"$LOGS/$name.log" 2>&1 &
        local pid=$!
        echo "$pid" >"$LOGS/$name.pid"
        wait "$pid" || true
        (( stopping )) || { echo "$(date -Is) $name exited; restarting in 2s" >>"$LOGS/$name.log"; sleep 2; }
    done
}

shutdown() {
    stopping=1
    for pidfile in "$LOGS"/*.pid; do
        [[ -f "$pidfile" ]] && kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
    done
    wait
    rm -f "$LOGS"/*.pid
    echo "angeli distributed stack stopped"
}
trap shutdown INT TERM

while IFS= read -r line; do
    [[ -z "$line" || "$line" == \#* ]] && continue
    name="${line%%:*}"
    read -r -a args <<<"${line#*:}"
    supervise "$name" "${args[@]}" &
done <"$PROCFILE"

echo "angeli distributed stack running: API on http://127.0.0.1:8000 and :8001; logs in $LOGS"
wait
