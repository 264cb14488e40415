#!/usr/bin/env bash
# Start Angeli's Kamailio (deploy/telephony/kamailio.cfg) on $ANGELI_SIP_LISTEN:$ANGELI_SIP_PORT (UDP).
#   - installs the Debian packages when missing (install.sh)
#   - renders the template into $ANGELI_SIP_RUN_DIR/kamailio.cfg with:
#       ANGELI_SIP_LISTEN / ANGELI_SIP_PORT   the private address and port to bind (default 127.0.0.1:5060)
#       ANGELI_SIP_DOMAIN                     the SIP domain (default: the listen address)
#       ANGELI_SIP_ANGELI_URL                 Angeli's base URL as Kamailio reaches it
#       ANGELI_TELEPHONY_SECRET(_FILE)        the shared secret (X-Angeli-Telephony-Secret)
#       ANGELI_TELEPHONY_HELPLINE             the helpline's SIP user (default "helpline")
#   - checks it (kamailio -c), starts it, writes its pid to $ANGELI_SIP_RUN_DIR/kamailio.pid and
#     waits until it answers an OPTIONS. Run it inside a network namespace with `ip netns exec`.
# Already running with the same run dir: restarted (the configuration may have changed).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$HERE/common.sh"

command -v kamailio >/dev/null && [[ -f "$KAMAILIO_MODULES_DIR/http_client.so" && -f "$KAMAILIO_MODULES_DIR/jansson.so" ]] \
    || bash "$HERE/install.sh"

SECRET="$(sip_secret)"
[[ -n "$SECRET" ]] || die "no shared secret: set ANGELI_TELEPHONY_SECRET or ANGELI_TELEPHONY_SECRET_FILE"
[[ "$SECRET" =~ ^[A-Za-z0-9._~+/=-]+$ ]] || die "the shared secret may hold only letters, digits and . _ ~ + / = -"
[[ "$SIP_LISTEN" =~ ^[0-9.]+$ ]] || die "ANGELI_SIP_LISTEN must be an IPv4 address, not '$SIP_LISTEN'"
[[ "$SIP_PORT" =~ ^[0-9]+$ ]] || die "ANGELI_SIP_PORT must be a number"
[[ "$SIP_DOMAIN" =~ ^[A-Za-z0-9.-]+$ ]] || die "ANGELI_SIP_DOMAIN must be a host name or address"
[[ "$SIP_HELPLINE" =~ ^[A-Za-z0-9+._-]+$ ]] || die "ANGELI_TELEPHONY_HELPLINE must be a plain SIP user"
URL_RE='^https?://[A-Za-z0-9.:-]+(/[A-Za-z0-9._~/-]*)?$'
[[ "$SIP_ANGELI_URL" =~ $URL_RE ]] || die "ANGELI_SIP_ANGELI_URL must be http(s)://host[:port][/path]"
for v in SIP_CHILDREN SIP_DEBUG SIP_HTTP_TIMEOUT; do [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a number"; done

mkdir -p "$SIP_RUN_DIR"
chmod 700 "$SIP_RUN_DIR"

if pid="$(sip_pid)"; then
    log "restarting the running instance (pid $pid)"
    bash "$HERE/stop.sh" >/dev/null
fi

umask 077
sed -e "s|@LISTEN@|$SIP_LISTEN|g" -e "s|@PORT@|$SIP_PORT|g" -e "s|@DOMAIN@|$SIP_DOMAIN|g" \
    -e "s|@ANGELI_URL@|${SIP_ANGELI_URL%/}|g" -e "s|@SECRET@|$SECRET|g" -e "s|@HELPLINE@|$SIP_HELPLINE|g" \
    -e "s|@CHILDREN@|$SIP_CHILDREN|g" -e "s|@DEBUG@|$SIP_DEBUG|g" -e "s|@HTTP_TIMEOUT@|$SIP_HTTP_TIMEOUT|g" \
    "$HERE/kamailio.cfg" >"$SIP_CFG"
if grep -n '@[A-Z_]*@' "$SIP_CFG" | grep -v '^.*#' >/dev/null; then
    die "unfilled placeholders in $SIP_CFG: $(grep -o '@[A-Z_]*@' "$SIP_CFG" | sort -u | tr '\n' ' ')"
fi
kamailio -c -f "$SIP_CFG" -L "$KAMAILIO_MODULES_DIR" >"$SIP_LOG.check" 2>&1 \
    || { tail -n 30 "$SIP_LOG.check" >&2; die "kamailio -c rejected $SIP_CFG"; }

# Foreground mode (-DD) with its own process group, logging to stderr -> the log file.
: >"$SIP_LOG"
setsid kamailio -DD -E -f "$SIP_CFG" -L "$KAMAILIO_MODULES_DIR" -Y "$SIP_RUN_DIR" \
    </dev/null >>"$SIP_LOG" 2>&1 &
KPID=$!
echo "$KPID" >"$SIP_PID_FILE"

# --- wait for an answer to OPTIONS sip:<listen>:<port> ----------------------------------------
options_ok() {
    local branch reply
    branch="z9hG4bK-angeli-$RANDOM$RANDOM"
    # one datagram: the request is written to a file and sent with a single write
    printf 'OPTIONS sip:%s:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:9;rport;branch=%s\r\nMax-Forwards: 70\r\nFrom: <sip:probe@%s>;tag=%s\r\nTo: <sip:%s:%s>\r\nCall-ID: probe-%s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' \
        "$SIP_LISTEN" "$SIP_PORT" "$SIP_LISTEN" "$branch" "$SIP_DOMAIN" "$RANDOM" "$SIP_LISTEN" "$SIP_PORT" "$branch" >"$SIP_RUN_DIR/options.sip"
    exec 3<>"/dev/udp/$SIP_LISTEN/$SIP_PORT" || return 1
    cat "$SIP_RUN_DIR/options.sip" >&3
    reply="$(timeout 1 head -c 12 <&3 2>/dev/null || true)"
    exec 3<&- 3>&-
    [[ "$reply" == "SIP/2.0 200 " ]]
}
deadline=$((SECONDS + SIP_READY_TIMEOUT))
until options_ok; do
    if ! kill -0 "$KPID" 2>/dev/null; then
        tail -n 40 "$SIP_LOG" >&2 || true
        rm -f "$SIP_PID_FILE"
        die "kamailio exited while starting (log: $SIP_LOG)"
    fi
    if (( SECONDS >= deadline )); then
        tail -n 40 "$SIP_LOG" >&2 || true
        die "no answer to OPTIONS on $SIP_LISTEN:$SIP_PORT within ${SIP_READY_TIMEOUT}s (log: $SIP_LOG)"
    fi
    sleep 0.2
done
echo "kamailio: ready on udp:$SIP_LISTEN:$SIP_PORT (domain $SIP_DOMAIN, Angeli $SIP_ANGELI_URL, pid $KPID, log $SIP_LOG)"
