#!/usr/bin/env bash
# Stop the Kamailio started by deploy/telephony/start.sh with the same ANGELI_SIP_* settings:
# SIGTERM, SIGKILL after ${ANGELI_SIP_STOP_TIMEOUT:-10}s. Idempotent.
#   --reset   also delete its run dir (rendered configuration and log)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$HERE/common.sh"
# shellcheck source=../process.sh
source "$HERE/../process.sh"

parse_reset "$@"
STOP_TIMEOUT="${ANGELI_SIP_STOP_TIMEOUT:-10}"

if pid="$(sip_pid)"; then
    stop_pid kamailio "$pid" "$STOP_TIMEOUT"
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
