# Shared settings for deploy/telephony/{install,start,stop}.sh. Sourced, not executed.
# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this

SIP_LISTEN="${ANGELI_SIP_LISTEN:-127.0.0.1}"          # the private address Kamailio binds (UDP)
SIP_PORT="${ANGELI_SIP_PORT:-5060}"
SIP_DOMAIN="${ANGELI_SIP_DOMAIN:-$SIP_LISTEN}"         # the SIP domain phones register in
SIP_ANGELI_URL="${ANGELI_SIP_ANGELI_URL:-http://127.0.0.1:8000}"  # Angeli's base URL as Kamailio reaches it
SIP_HELPLINE="${ANGELI_TELEPHONY_HELPLINE:-helpline}"  # the helpline's SIP user as dialled
SIP_NUMBER="${ANGELI_TELEPHONY_NUMBER:-}"              # the charity's number (informational: Angeli names it)
SIP_CHILDREN="${ANGELI_SIP_CHILDREN:-4}"               # UDP workers (each blocks while Angeli answers)
SIP_DEBUG="${ANGELI_SIP_DEBUG:-1}"                     # Kamailio log level (1 errors, 2 notices, 3 info)
SIP_HTTP_TIMEOUT="${ANGELI_SIP_HTTP_TIMEOUT:-4}"       # seconds Kamailio waits for Angeli
SIP_RUN_DIR="${ANGELI_SIP_RUN_DIR:-/var/tmp/angeli-kamailio-${SIP_LISTEN}-${SIP_PORT}}"
SIP_PID_FILE="$SIP_RUN_DIR/kamailio.pid"
SIP_LOG="$SIP_RUN_DIR/kamailio.log"
SIP_CFG="$SIP_RUN_DIR/kamailio.cfg"
SIP_READY_TIMEOUT="${ANGELI_SIP_READY_TIMEOUT:-20}"
KAMAILIO_PACKAGES=(kamailio kamailio-utils-modules kamailio-json-modules kamailio-extra-modules)
KAMAILIO_MODULES_DIR="${ANGELI_KAMAILIO_MODULES:-/usr/lib/x86_64-linux-gnu/kamailio/modules}"

log() { printf 'kamailio: %s\n' "$*" >&2; }
die() { printf 'kamailio: ERROR: %s\n' "$*" >&2; exit 1; }

# The shared secret: ANGELI_TELEPHONY_SECRET, or the file named by ANGELI_TELEPHONY_SECRET_FILE.
sip_secret() {
    if [[ -n "${ANGELI_TELEPHONY_SECRET_FILE:-}" ]]; then
        [[ -r "$ANGELI_TELEPHONY_SECRET_FILE" ]] || die "cannot read ANGELI_TELEPHONY_SECRET_FILE=$ANGELI_TELEPHONY_SECRET_FILE"
        tr -d '\r\n' <"$ANGELI_TELEPHONY_SECRET_FILE"
    else
        printf '%s' "${ANGELI_TELEPHONY_SECRET:-}"
    fi
}

# pid of our running Kamailio (exit 1 when none)
sip_pid() {
    local pid
    [[ -f "$SIP_PID_FILE" ]] || return 1
    pid="$(cat "$SIP_PID_FILE")"
    [[ "$pid" =~ ^[0-9]+$ && -e "/proc/$pid" ]] || return 1
    grep -q kamailio "/proc/$pid/comm" 2>/dev/null || return 1
    printf '%s' "$pid"
}
