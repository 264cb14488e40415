# Shared by the deploy scripts that run a server of their own (sourced, not run).

# RESET=1 when the only argument is --reset; anything else is a usage error.
parse_reset() {
    RESET=0
    case "${1:-}" in
        "") ;;
        --reset) RESET=1 ;;
        *) printf 'usage: %s [--reset]\n' "$0" >&2; exit 2 ;;
    esac
}

# Whether the process runs (a zombie waiting for its parent does not).
alive() { [[ -e "/proc/$1" ]] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# stop_pid NAME PID TIMEOUT: SIGTERM, SIGKILL after TIMEOUT seconds, and wait until it is gone.
stop_pid() {
    local name="$1" pid="$2" timeout="$3" deadline
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + timeout))
    while alive "$pid" && (( SECONDS < deadline )); do sleep 0.2; done
    if alive "$pid"; then
        printf '%s: %s still alive after %ss: SIGKILL\n' "$name" "$pid" "$timeout" >&2
        kill -KILL "$pid" 2>/dev/null || true
        while alive "$pid"; do sleep 0.2; done
    fi
}
