#!/usr/bin/env bash
# Start a local PostgreSQL cluster for Angeli tests/CI. Idempotent: safe to run repeatedly.
#   - installs Debian's `postgresql` package if no server binary is present
#   - initdb's its own cluster in $ANGELI_PG_DATA (default /var/tmp/angeli-postgres-<port>)
#   - starts it with pg_ctl, listening only on 127.0.0.1:$ANGELI_PG_PORT (default 5432)
#   - creates role $ANGELI_PG_USER / password $ANGELI_PG_PASSWORD (LOGIN CREATEDB) and the
#     databases $ANGELI_PG_DB and angeli_test owned by it
# If a server that already accepts those credentials answers on the port, does nothing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$HERE/common.sh"

READY_TIMEOUT="${ANGELI_PG_READY_TIMEOUT:-60}"

# --- 1. server binaries -------------------------------------------------------------------
install_postgres() {
    local sudo=""
    if [[ $EUID -ne 0 ]]; then
        command -v sudo >/dev/null || die "postgresql is not installed and we are not root (no sudo)"
        sudo="sudo"
    fi
    log "no /usr/lib/postgresql/*/bin/postgres: installing Debian's postgresql package"
    $sudo apt-get update -q >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
    # The package creates and (where services can start) runs a default cluster "main" on
    # 5432. We just installed it, so it is ours to stop if it sits on our port.
    if command -v pg_lsclusters >/dev/null; then
        local ver name port status
        while read -r ver name port status _; do
            if [[ "$port" == "$PG_PORT" && "$status" == online* ]]; then
                log "stopping freshly installed default cluster $ver/$name (it holds port $PG_PORT)"
                $sudo pg_ctlcluster "$ver" "$name" stop || true
            fi
        done < <(pg_lsclusters --no-header 2>/dev/null || true)
    fi
}

BIN="$(pg_bindir)"
if [[ -z "$BIN" ]]; then
    install_postgres
    BIN="$(pg_bindir)"
    [[ -n "$BIN" ]] || die "installed postgresql but found no /usr/lib/postgresql/*/bin/postgres"
fi

client_ok() {  # can we log in as the app role to both databases over TCP?
    local db
    for db in "$PG_DB" "$PG_TEST_DB"; do
        PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=5 "$BIN/psql" -X -q -At -w \
            -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$db" -c 'select 1' >/dev/null 2>&1 || return 1
    done
}
server_up() { "$BIN/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -t 3 >/dev/null 2>&1; }
ours_running() { [[ -f "$PG_DATA/PG_VERSION" ]] && as_pg "$BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; }
ready_line() { echo "postgres: ready on $PG_HOST:$PG_PORT (user=$PG_USER db=$PG_DB,$PG_TEST_DB data=$PG_DATA)"; }

# Fast path, before taking the lock: already up and usable.
if server_up && client_ok; then ready_line; exit 0; fi

# Serialise concurrent starts for this port.
exec 9>"$PG_LOCK"
flock -w 120 9 || die "timed out waiting for lock $PG_LOCK"
if server_up && client_ok; then ready_line; exit 0; fi

port_open() { (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null; }
if ! server_up && ! ours_running && port_open; then
    die "$PG_HOST:$PG_PORT is in use by something that is not PostgreSQL; free it or set ANGELI_PG_PORT=..."
fi
if server_up && ! ours_running; then
    die "something on $PG_HOST:$PG_PORT answers as PostgreSQL but is not the cluster in $PG_DATA and
  does not accept user '$PG_USER' on databases '$PG_DB'/'$PG_TEST_DB'. Stop it (e.g. 'pg_ctlcluster <ver> main stop')
  or choose another port with ANGELI_PG_PORT=..."
fi

# --- 2. data directory ----------------------------------------------------------------------
if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    log "initdb $PG_DATA ($("$BIN/postgres" --version))"
    mkdir -p "$PG_DATA"
    if [[ $EUID -eq 0 ]]; then
        chown postgres:postgres "$PG_DATA"
        runuser -u postgres -- test -w "$PG_DATA" \
            || die "postgres OS user cannot reach $PG_DATA (a parent directory is not traversable); set ANGELI_PG_DATA"
    fi
    chmod 700 "$PG_DATA"
    [[ -z "$(ls -A "$PG_DATA")" ]] || die "$PG_DATA is not empty and not a PostgreSQL data directory"
    as_pg "$BIN/initdb" -D "$PG_DATA" -U "$PG_SUPERUSER" --encoding=UTF8 --locale=C \
        --auth-local=peer --auth-host=scram-sha-256 >"$PG_DATA.initdb.log" 2>&1 \
        || { tail -n 30 "$PG_DATA.initdb.log" >&2; die "initdb failed"; }
    rm -f "$PG_DATA.initdb.log"
fi

DATA_VER="$(cat "$PG_DATA/PG_VERSION")"
BIN_VER="$(basename "$(dirname "$BIN")")"
if [[ "$DATA_VER" != "$BIN_VER" ]]; then
    if [[ -x "/usr/lib/postgresql/$DATA_VER/bin/postgres" ]]; then
        BIN="/usr/lib/postgresql/$DATA_VER/bin"
        log "data dir is version $DATA_VER; using $BIN"
    else
        die "$PG_DATA was created by PostgreSQL $DATA_VER but only $BIN_VER is installed; delete it (deploy/postgres/stop.sh --reset) to recreate"
    fi
fi

# Our settings live in a file of their own, rewritten every start (so ANGELI_PG_PORT changes apply).
write_as_pg() {  # write stdin to file $1, owned by the cluster owner
    local tmp; tmp="$(mktemp)"; cat >"$tmp"
    install -m 600 "$tmp" "$1"; rm -f "$tmp"
    [[ $EUID -ne 0 ]] || chown postgres:postgres "$1"
}
write_as_pg "$PG_DATA/angeli.conf" <<EOF
# Managed by deploy/postgres/start.sh; rewritten on every start.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
max_connections = 500
shared_buffers = 256MB
fsync = on
synchronous_commit = on
full_page_writes = on
password_encryption = scram-sha-256
log_destination = 'stderr'
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = -1
timezone = 'UTC'
EOF
grep -q "^include_if_exists = 'angeli.conf'" "$PG_DATA/postgresql.conf" \
    || printf "\ninclude_if_exists = 'angeli.conf'\n" >>"$PG_DATA/postgresql.conf"
# Local socket: peer (the script's admin connections as the postgres OS user); TCP from
# 127.0.0.1 / ::1: password (scram-sha-256). Nothing else is accepted.
write_as_pg "$PG_DATA/pg_hba.conf" <<'EOF'
# Managed by deploy/postgres/start.sh; rewritten on every start.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  peer
host    all       all   127.0.0.1/32   scram-sha-256
host    all       all   ::1/128        scram-sha-256
EOF

# --- 3. start ---------------------------------------------------------------------------------
# Ours, running, but refusing connections: it is recovering after a crash, or shutting down (a smart
# shutdown waits for its last client). Wait until it accepts, or has ended and can be started anew.
deadline=$((SECONDS + READY_TIMEOUT))
waiting=0
while ours_running && ! server_up; do
    (( SECONDS < deadline )) || die "the cluster in $PG_DATA runs but has refused connections for ${READY_TIMEOUT}s (log: $PG_LOG)"
    (( waiting )) || log "the cluster in $PG_DATA runs but refuses connections (starting or shutting down): waiting"
    waiting=1
    sleep 1
done
if ours_running; then
    as_pg "$BIN/pg_ctl" reload -D "$PG_DATA" >/dev/null
else
    [[ $EUID -ne 0 ]] || { touch "$PG_LOG"; chown postgres:postgres "$PG_LOG"; }
    log "starting cluster in $PG_DATA on $PG_HOST:$PG_PORT (log: $PG_LOG)"
    # 9>&-: the lock fd must not be inherited by the long-lived postmaster.
    as_pg "$BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t "$READY_TIMEOUT" -s 9>&- \
        || { tail -n 40 "$PG_LOG" >&2 || true; die "pg_ctl start failed (log: $PG_LOG)"; }
fi

# --- 4. role and databases ----------------------------------------------------------------
admin_psql() {
    as_pg "$BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres "$@"
}
sql_lit() { printf "'%s'" "${1//\'/\'\'}"; }
sql_ident() { printf '"%s"' "${1//\"/\"\"}"; }

if [[ "$(admin_psql -c "select 1 from pg_roles where rolname = $(sql_lit "$PG_USER")")" != 1 ]]; then
    log "creating role $PG_USER"
    admin_psql -c "create role $(sql_ident "$PG_USER") login createdb password $(sql_lit "$PG_PASSWORD")"
else
    # Keep the password in sync with ANGELI_PG_PASSWORD.
    admin_psql -c "alter role $(sql_ident "$PG_USER") login createdb password $(sql_lit "$PG_PASSWORD")"
fi
for db in "$PG_DB" "$PG_TEST_DB"; do
    if [[ "$(admin_psql -c "select 1 from pg_database where datname = $(sql_lit "$db")")" != 1 ]]; then
        log "creating database $db"
        admin_psql -c "create database $(sql_ident "$db") owner $(sql_ident "$PG_USER")"
    fi
done

# --- 5. wait for an application-level login --------------------------------------------------
deadline=$((SECONDS + READY_TIMEOUT))
until client_ok; do
    if (( SECONDS >= deadline )); then
        tail -n 40 "$PG_LOG" >&2 || true
        die "server did not accept $(pg_url | sed 's/:[^:@]*@/:***@/') within ${READY_TIMEOUT}s (log: $PG_LOG)"
    fi
    sleep 1
done
ready_line
