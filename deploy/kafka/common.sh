# Shared settings for deploy/kafka/{start,stop}.sh. Sourced, not executed.
# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this

KAFKA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$KAFKA_DIR/../.." && pwd)"
KAFKA_HOST=127.0.0.1
KAFKA_PORT="${ANGELI_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${ANGELI_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HOME="${ANGELI_KAFKA_HOME:-${HOME:-/root}/.cache/angeli/kafka}"
KAFKA_LIB="$KAFKA_HOME/lib"
# Data dir layout:  kraft/ = log.dirs (topic data + KRaft metadata), logs/ = log4j output,
# server.properties = effective config, kafka.pid, stdout.log.
KAFKA_DATA="${ANGELI_KAFKA_DATA:-$KAFKA_HOME/data}"
KAFKA_LOG_DIRS="$KAFKA_DATA/kraft"
KAFKA_APP_LOGS="$KAFKA_DATA/logs"
KAFKA_PROPS="$KAFKA_DATA/server.properties"
KAFKA_PID_FILE="$KAFKA_DATA/kafka.pid"
JAVA="${JAVA:-${JAVA_HOME:+$JAVA_HOME/bin/}java}"

log() { printf 'kafka: %s\n' "$*" >&2; }
die() { printf 'kafka: ERROR: %s\n' "$*" >&2; exit 1; }

# PID of the broker we started, if it is still alive (and really is our kafka.Kafka).
broker_pid() {
    local pid
    [[ -f "$KAFKA_PID_FILE" ]] || return 1
    pid="$(cat "$KAFKA_PID_FILE" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "kafka.Kafka $KAFKA_PROPS" || return 1
    printf '%s' "$pid"
}

port_open() { (exec 3<>"/dev/tcp/$KAFKA_HOST/$1") 2>/dev/null; }
