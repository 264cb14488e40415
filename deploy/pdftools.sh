#!/usr/bin/env bash
# Installs Debian's poppler-utils (pdftotext) for the receipt tests when it is missing (idempotent).
set -euo pipefail
if command -v pdftotext >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq poppler-utils
