#!/usr/bin/env bash
# Stop the cluster started by deploy/postgres/start.sh (pg_ctl stop -m fast). Idempotent.
#   --reset   also delete its data directory (next start.sh re-creates everything)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$HERE/common.sh"
# shellcheck source=../process.sh
source "$HERE/../process.sh"

parse_reset "$@"

if [[ -f "$PG_DATA/PG_VERSION" ]]; then
    BIN="/usr/lib/postgresql/$(cat "$PG_DATA/PG_VERSION")/bin"
    [[ -x "$BIN/pg_ctl" ]] || BIN="$(pg_bindir)"
    [[ -n "$BIN" ]] || die "no pg_ctl found under /usr/lib/postgresql"
    if as_pg "$BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; then
        as_pg "$BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 -s
        echo "postgres: stopped ($PG_DATA)"
    else
        echo "postgres: not running ($PG_DATA)"
    fi
else
    echo "postgres: no cluster in $PG_DATA (nothing to stop)"
fi

if (( RESET )) && [[ -e "$PG_DATA" ]]; then
    rm -rf -- "$PG_DATA"
    echo "postgres: deleted $PG_DATA"
fi
