#!/usr/bin/env bash
# Stop the Kamailio started by deploy/telephony/start.sh with the same ANGELI_SIP_* settings:
# SIGTERM, SIGKILL after ${ANGELI_SIP_STOP_TIMEOUT:-10}s. Idempotent.
#   --reset   also delete its run dir (rendered configuration and log)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$HERE/common.sh"

RESET=0
case "${1:-}" in
    "") ;;
    --reset) RESET=1 ;;
    *) die "usage: $0 [--reset]" ;;
esac
STOP_TIMEOUT="${ANGELI_SIP_STOP_TIMEOUT:-10}"

if pid="$(sip_pid)"; then
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while [[ -e "/proc/$pid" ]] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && (( SECONDS < deadline )); do
        sleep 0.2
    done
    if [[ -e "/proc/$pid" ]] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then
        log "kamailio $pid still alive after ${STOP_TIMEOUT}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$SIP_PID_FILE"
    echo "kamailio: stopped (pid $pid, run dir $SIP_RUN_DIR)"
else
    rm -f "$SIP_PID_FILE"
    echo "kamailio: not running (run dir $SIP_RUN_DIR)"
fi

if (( RESET )) && [[ -e "$SIP_RUN_DIR" ]]; then
    rm -rf -- "$SIP_RUN_DIR"
    echo "kamailio: deleted $SIP_RUN_DIR"
fi
