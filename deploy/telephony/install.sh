#!/usr/bin/env bash
# Installs Debian's Kamailio (registrar/proxy, http_client, jansson, uac) and baresip (the test rig's
# phones) when missing. Idempotent; `make test` calls it before the SIP tests.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$HERE/common.sh"

missing=()
for pkg in "${KAMAILIO_PACKAGES[@]}" baresip-core; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if (( ${#missing[@]} == 0 )); then
    exit 0
fi
SUDO=""
if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || die "${missing[*]} not installed and we are not root (no sudo)"
    SUDO="sudo"
fi
log "installing ${missing[*]}"
$SUDO apt-get update -qq >&2
# The kamailio package enables and starts a system service on 5060 where services can start:
# policy-rc.d keeps it from starting (we run our own instances).
policy=/usr/sbin/policy-rc.d
made_policy=0
if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    made_policy=1
fi
status=0
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || status=$?
(( made_policy )) && $SUDO rm -f "$policy"
(( status == 0 )) || die "apt-get install ${missing[*]} failed ($status)"
