# Shared settings for deploy/postgres/{start,stop}.sh. Sourced, not executed.
# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this

PG_PORT="${ANGELI_PG_PORT:-5432}"
PG_HOST=127.0.0.1
PG_USER="${ANGELI_PG_USER:-angeli}"
PG_PASSWORD="${ANGELI_PG_PASSWORD:-angeli}"
PG_DB="${ANGELI_PG_DB:-angeli}"
PG_TEST_DB="${ANGELI_PG_TEST_DB:-angeli_test}"
# Outside the repo on purpose: the repo may sit in a directory the postgres OS user cannot
# traverse, and a data dir inside the work tree is one `git add -A` away from being committed.
# /var/tmp survives reboots (unlike /tmp on many systems) and is writable by everyone.
PG_DATA="${ANGELI_PG_DATA:-/var/tmp/angeli-postgres-${PG_PORT}}"
# Unix socket for the script's own admin connections (peer auth as the postgres OS user).
PG_SOCKET_DIR="${ANGELI_PG_SOCKET_DIR:-/tmp}"
# Cluster superuser: "postgres" when run as root (processes run as the postgres OS user);
# otherwise the invoking OS user, so that peer auth on the local socket works.
if [[ $EUID -eq 0 ]]; then PG_SUPERUSER=postgres; else PG_SUPERUSER="$(id -un)"; fi
PG_LOG="${PG_DATA}/server.log"
PG_LOCK="/tmp/angeli-postgres-${PG_PORT}.lock"

log() { printf 'postgres: %s\n' "$*" >&2; }
die() { printf 'postgres: ERROR: %s\n' "$*" >&2; exit 1; }

# Highest installed server version's bin dir, e.g. /usr/lib/postgresql/15/bin ("" if none).
pg_bindir() {
    local d best="" bestver=-1 v
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x "$d/postgres" ]] || continue
        v="${d#/usr/lib/postgresql/}"; v="${v%/bin}"
        [[ "$v" =~ ^[0-9]+$ ]] || continue
        if (( v > bestver )); then bestver=$v; best=$d; fi
    done
    printf '%s' "$best"
}

# Run a command as the postgres OS user when we are root (initdb/postgres refuse root);
# as a non-root user, run it as ourselves.
as_pg() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

pg_url() { printf 'postgresql://%s:%s@%s:%s/%s' "$PG_USER" "$PG_PASSWORD" "$PG_HOST" "$PG_PORT" "${1:-$PG_DB}"; }
