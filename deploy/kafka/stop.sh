#!/usr/bin/env bash
# Stop the broker started by deploy/kafka/start.sh: SIGTERM (controlled shutdown), SIGKILL
# after ${ANGELI_KAFKA_STOP_TIMEOUT:-30}s. Idempotent.
#   --reset   also delete the data dir ($ANGELI_KAFKA_DATA); the jar cache is kept
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$HERE/common.sh"
# shellcheck source=../process.sh
source "$HERE/../process.sh"

parse_reset "$@"
STOP_TIMEOUT="${ANGELI_KAFKA_STOP_TIMEOUT:-30}"

if pid="$(broker_pid)"; then
    # Until its /proc entry is gone (reaped), not only dead: the next start may reuse the data directory.
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while [[ -e "/proc/$pid" ]] && (( SECONDS < deadline )); do sleep 0.5; done
    if [[ -e "/proc/$pid" ]]; then
        log "broker $pid still alive after ${STOP_TIMEOUT}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        while [[ -e "/proc/$pid" ]]; do sleep 0.2; done
    fi
    rm -f "$KAFKA_PID_FILE"
    echo "kafka: stopped (pid $pid, data $KAFKA_DATA)"
else
    rm -f "$KAFKA_PID_FILE"
    echo "kafka: not running (data $KAFKA_DATA)"
fi

if (( RESET )) && [[ -e "$KAFKA_DATA" ]]; then
    rm -rf -- "$KAFKA_DATA"
    echo "kafka: deleted $KAFKA_DATA"
fi
