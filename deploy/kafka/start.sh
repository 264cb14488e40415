#!/usr/bin/env bash
# Start a single-node KRaft Apache Kafka broker for Angeli tests/CI. Idempotent.
#   - fetches the broker jars from Maven Central once (deploy/kafka/pom.xml) into
#     $ANGELI_KAFKA_HOME/lib (default ~/.cache/angeli/kafka/lib); refetched when the pom changes
#   - formats $ANGELI_KAFKA_DATA (default $ANGELI_KAFKA_HOME/data) once
#   - runs kafka.Kafka in the background on 127.0.0.1:$ANGELI_KAFKA_PORT (default 9092),
#     controller on 127.0.0.1:$ANGELI_KAFKA_CONTROLLER_PORT (default 9093)
#   - waits for a real produce/consume round trip (confluent_kafka if importable, else the
#     Java console tools)
# If a working broker already answers on the port, does nothing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$HERE/common.sh"

READY_TIMEOUT="${ANGELI_KAFKA_READY_TIMEOUT:-90}"
STARTUP_LIMIT="${ANGELI_KAFKA_STARTUP_LIMIT:-900}"
BOOTSTRAP="$KAFKA_HOST:$KAFKA_PORT"

# --- python with confluent_kafka (optional) -------------------------------------------------
PY=""
for cand in ${PYTHON:-python3} "$REPO_DIR/.venv/bin/python"; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import confluent_kafka' >/dev/null 2>&1; then
        PY="$cand"; break
    fi
    [[ -z "${PYTHON:-}" ]] || break  # an explicit $PYTHON is the only candidate
done

# --- jars -------------------------------------------------------------------------------------
fetch_jars() {
    local want have
    want="$(sha256sum "$HERE/pom.xml" | cut -c1-64)"
    have="$(cat "$KAFKA_LIB/.pom-sha256" 2>/dev/null || true)"
    [[ "$want" == "$have" ]] && return 0
    command -v mvn >/dev/null || die "mvn not found (needed once to fetch the Kafka jars)"
    log "fetching Kafka jars into $KAFKA_LIB (mvn dependency:copy-dependencies)"
    mkdir -p "$KAFKA_HOME"
    local tmp="$KAFKA_HOME/lib.tmp.$$"
    rm -rf "$tmp"
    if ! (cd "$HERE" && mvn -B -q -f "$HERE/pom.xml" dependency:copy-dependencies \
            -DoutputDirectory="$tmp" -DincludeScope=runtime) >"$KAFKA_HOME/mvn.log" 2>&1; then
        tail -n 30 "$KAFKA_HOME/mvn.log" >&2
        rm -rf "$tmp"
        die "maven could not fetch the Kafka jars (full log: $KAFKA_HOME/mvn.log)"
    fi
    echo "$want" >"$tmp/.pom-sha256"
    rm -rf "$KAFKA_LIB"
    mv "$tmp" "$KAFKA_LIB"
}

# --- readiness --------------------------------------------------------------------------------
java_roundtrip() {  # $1 = timeout seconds; uses the console tools from kafka-tools
    local deadline=$((SECONDS + $1)) topic=angeli-readiness token end out
    local -a kjava=(timeout 60 "$JAVA" -Xmx256m -cp "$KAFKA_LIB/*")
    while (( SECONDS < deadline )); do
        token="ready-$(date +%s%N)"
        # One partition, so "the next offset" of partition 0 is where our message lands.
        if "${kjava[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --create \
                --if-not-exists --topic "$topic" --partitions 1 --replication-factor 1 >/dev/null 2>&1 \
           && end="$("${kjava[@]}" org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$BOOTSTRAP" \
                --topic "$topic" --partitions 0 --time -1 2>/dev/null | sed -n "s/^$topic:0://p")" \
           && [[ "$end" =~ ^[0-9]+$ ]] \
           && printf '%s\n' "$token" | "${kjava[@]}" org.apache.kafka.tools.ConsoleProducer \
                --bootstrap-server "$BOOTSTRAP" --topic "$topic" --producer-property acks=all >/dev/null 2>&1 \
           && out="$("${kjava[@]}" org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$BOOTSTRAP" \
                --topic "$topic" --partition 0 --offset "$end" --max-messages 1 --timeout-ms 30000 2>/dev/null)" \
           && grep -qxF "$token" <<<"$out"; then
            return 0
        fi
        sleep 1
    done
    return 1
}

roundtrip() {  # $1 = timeout seconds
    if [[ -n "$PY" ]]; then
        "$PY" "$HERE/roundtrip.py" "$BOOTSTRAP" "$1"
    else
        fetch_jars
        java_roundtrip "$1"
    fi
}

ready_line() { echo "kafka: ready on $BOOTSTRAP (data=$KAFKA_DATA)"; }

# Already running? (ours, or anything that behaves like a broker on the port)
if port_open "$KAFKA_PORT"; then
    if broker_pid >/dev/null; then t="$READY_TIMEOUT"; else t=20; fi
    if roundtrip "$t"; then ready_line; exit 0; fi
    die "$BOOTSTRAP is in use but no produce/consume round trip succeeded within ${t}s
  (not a Kafka broker, or a broken one). Broker log if it is ours: $KAFKA_APP_LOGS/server.log"
fi

mkdir -p "$KAFKA_HOME" "$KAFKA_DATA"
exec 9>"$KAFKA_HOME/start.lock"
flock -w 600 9 || die "timed out waiting for lock $KAFKA_HOME/start.lock"
if port_open "$KAFKA_PORT" && roundtrip 30; then ready_line; exit 0; fi
if port_open "$KAFKA_CONTROLLER_PORT" && ! broker_pid >/dev/null; then
    die "controller port $KAFKA_HOST:$KAFKA_CONTROLLER_PORT is already in use; set ANGELI_KAFKA_CONTROLLER_PORT=..."
fi

command -v "$JAVA" >/dev/null || die "java not found (Kafka 4 needs Java 17+)"
fetch_jars

# --- effective config ------------------------------------------------------------------------
mkdir -p "$KAFKA_LOG_DIRS" "$KAFKA_APP_LOGS"
{
    cat "$HERE/server.properties"
    cat <<EOF

# ---- overrides written by deploy/kafka/start.sh ----
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
controller.quorum.bootstrap.servers=$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
log.dirs=$KAFKA_LOG_DIRS
EOF
} >"$KAFKA_PROPS.tmp"
mv "$KAFKA_PROPS.tmp" "$KAFKA_PROPS"

# --- format storage once ---------------------------------------------------------------------
if [[ ! -f "$KAFKA_LOG_DIRS/meta.properties" ]]; then
    cluster_id="$("$JAVA" -cp "$KAFKA_LIB/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    [[ -n "$cluster_id" ]] || die "kafka.tools.StorageTool random-uuid produced no id"
    log "formatting $KAFKA_LOG_DIRS (cluster id $cluster_id, standalone KRaft controller)"
    "$JAVA" -cp "$KAFKA_LIB/*" kafka.tools.StorageTool format --standalone \
        -t "$cluster_id" -c "$KAFKA_PROPS" >"$KAFKA_APP_LOGS/format.log" 2>&1 \
        || { cat "$KAFKA_APP_LOGS/format.log" >&2; die "storage format failed"; }
fi

# --- start ------------------------------------------------------------------------------------
launch() {
    log "starting broker on $BOOTSTRAP (controller $KAFKA_HOST:$KAFKA_CONTROLLER_PORT, logs $KAFKA_APP_LOGS)"
    # setsid+nohup: survive the calling shell/CI step; 9>&-: do not leak the lock fd to the broker.
    nohup setsid "$JAVA" -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true \
        -Dkafka.logs.dir="$KAFKA_APP_LOGS" \
        -Dlog4j2.configurationFile="$HERE/log4j2.yaml" \
        -cp "$KAFKA_LIB/*" kafka.Kafka "$KAFKA_PROPS" \
        </dev/null >"$KAFKA_DATA/stdout.log" 2>&1 9>&- &
    launched=$!
    echo "$launched" >"$KAFKA_PID_FILE"
}

# Until the child has exec'd java, its command line is still this script's, so broker_pid (which
# checks the command line) would call a broker that is only being born "exited". Ask the kernel
# whether the process lives instead: any state but zombie.
alive() {
    local state
    state="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
    [[ -n "$state" && "$state" != Z ]]
}

fail() {
    echo "---- tail of $KAFKA_APP_LOGS/server.log ----" >&2
    tail -n 40 "$KAFKA_APP_LOGS/server.log" >&2 2>/dev/null || true
    echo "---- tail of $KAFKA_DATA/stdout.log ----" >&2
    tail -n 20 "$KAFKA_DATA/stdout.log" >&2 2>/dev/null || true
    die "$1"
}

# A broker of this data directory that is still shutting down (it closed its port first) holds the
# controller port and the directory's lock, and the new one exits at once. Wait for it to end, then
# start again; a broker that exits on its own three times running is a real fault.
earlier_broker() {  # (without procps' pgrep: none known, and the start is only retried)
    command -v pgrep >/dev/null && pgrep -f -- "kafka.Kafka $KAFKA_PROPS" | grep -vx "$launched" | head -n 1
}
relaunch() {
    local other waited=0
    (( attempt < 3 )) || fail "broker process exited during startup ($attempt attempts)"
    attempt=$((attempt + 1))
    log "broker exited while starting; its output: $(tail -n 3 "$KAFKA_DATA/stdout.log" 2>/dev/null | tr '\n' ' ')"
    while other="$(earlier_broker)" && [[ -n "$other" ]]; do
        (( waited < 60 )) || fail "an earlier broker of $KAFKA_DATA (pid $other) is still running after 60s"
        (( waited > 0 )) || log "waiting for an earlier broker of $KAFKA_DATA (pid $other) to end"
        sleep 1; waited=$((waited + 1))
    done
    sleep 2
    launch
}

attempt=1
launch
# A broker that was killed recovers every partition's log before it opens its port, which takes minutes
# when there are thousands. While its log keeps growing it is working, not stuck: wait on, up to
# STARTUP_LIMIT seconds in all.
deadline=$((SECONDS + READY_TIMEOUT))
limit=$((SECONDS + STARTUP_LIMIT))
progress=""
until port_open "$KAFKA_PORT"; do
    alive "$launched" || relaunch
    if (( SECONDS >= deadline )); then
        now="$(stat -c %s "$KAFKA_APP_LOGS"/server.log* 2>/dev/null | awk '{n += $1} END {print n + 0}')"
        if [[ "$now" == "$progress" ]] || (( SECONDS >= limit )); then
            fail "broker did not open $BOOTSTRAP within ${SECONDS}s"
        fi
        log "still starting after ${SECONDS}s (recovering its logs); waiting up to ${STARTUP_LIMIT}s"
        progress="$now"
        deadline=$((SECONDS + 30))
    fi
    sleep 0.5
done
remaining=$((deadline - SECONDS)); (( remaining > 30 )) || remaining=30
roundtrip "$remaining" || fail "no produce/consume round trip on $BOOTSTRAP within ${READY_TIMEOUT}s"
broker_pid >/dev/null || fail "broker process exited"
ready_line
