#!/usr/bin/env bash
# FROST-Server (OGC SensorThings API) for development and tests: Debian's Tomcat 10 from a private
# CATALINA_BASE and a private PostgreSQL 15 + PostGIS cluster, no system service, loopback only; run as root, Tomcat
# runs as the tomcat user and PostgreSQL as postgres, each state folder private to its owner.
# The war is rebuilt from the FROST 2.0.0 jars on Maven Central and the sources in war/ (see war/NOTICE.md).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../brokers/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../brokers/lib.sh"

FROST_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FROST_PORT="${CITYTWIN_FROST_PORT:-58080}"
PG_PORT="${CITYTWIN_FROST_PG_PORT:-55432}"
START_TIMEOUT="${CITYTWIN_FROST_START_TIMEOUT:-180}"
DB=sensorthings
DB_USER=sensorthings
# Loopback only and a private cluster, so a fixed password is no secret; a real deployment brings its own FROST.
DB_PASS=sensorthings
PG_BIN=/usr/lib/postgresql/15/bin
PACKAGES=(tomcat10 postgresql-15 postgresql-15-postgis-3 maven openjdk-17-jdk-headless)
STATE="$RUN_ROOT/frost"
PGDATA="$STATE/pg/data"
PGSOCK="$STATE/pg/sock"
# The war is named by a digest of its sources, so a change to them builds a new one and a rerun reuses it.
WAR_DIGEST="$(cd "$FROST_DIR/war" && find . -type f ! -path './target/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
WAR="$CACHE_ROOT/frost/FROST-Server-2.0.0-jakarta-$WAR_DIGEST.war"
export CATALINA_HOME=/usr/share/tomcat10 CATALINA_BASE="$STATE/tomcat"
export CATALINA_PID="$CATALINA_BASE/tomcat.pid"
# FROST 2.0.0 does not start on newer Java (liquibase's snakeyaml fails to load): Debian's OpenJDK 17.
export JAVA_HOME="${CITYTWIN_FROST_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
export CATALINA_OPTS="${CITYTWIN_FROST_JAVA_OPTS:--Xms64m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}"
ROOT_URL="http://127.0.0.1:$FROST_PORT/FROST-Server"
# initdb and postgres refuse to run as root; Tomcat need not run as root either, so it runs as Debian's tomcat user.
if [[ "$(id -u)" = 0 ]]; then AS_PG=(runuser -u postgres --); AS_TOMCAT=(runuser -u tomcat --); else AS_PG=(); AS_TOMCAT=(); fi
# Only the cluster's owner may use its socket (the socket folder is private); over TCP every role needs its password,
# so no other local user can log in as the superuser, which has none.
HBA='local all all trust
host all all 127.0.0.1/32 scram-sha-256'

usage() {
    cat <<USAGE
usage: $PROG {install|build|start|stop|status|url}

  install  the Debian packages: ${PACKAGES[*]}
  build    the FROST-Server war from war/ (once; cached as $WAR)
  start    build if needed, start PostgreSQL+PostGIS and Tomcat, wait until /v1.1 answers
  stop     stop Tomcat, then PostgreSQL
  status   exit 0 when FROST answers, 3 when not
  url      print the service root

Environment (defaults in brackets):
  CITYTWIN_FROST_PORT      Tomcat port [58080]
  CITYTWIN_FROST_PG_PORT   PostgreSQL port [55432]
  CITYTWIN_RUN             run state: $STATE lives under it [<repo>/.run]
  CITYTWIN_CACHE           the built war [~/.cache/citytwin]
  CITYTWIN_MVN_ARGS        extra arguments for mvn (e.g. -s settings.xml)
USAGE
}

installed() {
    [[ -x "$CATALINA_HOME/bin/catalina.sh" && -x "$PG_BIN/initdb" && -x "$JAVA_HOME/bin/javac" ]] \
        && [[ -f /usr/share/postgresql/15/extension/postgis.control ]] && command -v mvn >/dev/null 2>&1
}

cmd_install() {
    installed && return 0
    local sudo=()
    command -v apt-get >/dev/null 2>&1 || die "install ${PACKAGES[*]} with your package manager"
    if [[ "$(id -u)" != 0 ]]; then
        sudo -n true 2>/dev/null || die "run: sudo apt-get install -y ${PACKAGES[*]}"
        sudo=(sudo -n)
    fi
    # policy-rc.d exit 101 keeps the packages from starting a system Tomcat or the packaged cluster.
    local guard=""
    if [[ ! -e /usr/sbin/policy-rc.d && ${#sudo[@]} -eq 0 ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && guard=/usr/sbin/policy-rc.d
    fi
    say "installing ${PACKAGES[*]} with apt-get"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" \
        || { "${sudo[@]}" apt-get update -q && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
             apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"; } \
        || { [[ -n "$guard" ]] && rm -f "$guard"; die "apt-get install ${PACKAGES[*]} failed (output above)"; }
    [[ -n "$guard" ]] && rm -f "$guard"
    installed || die "apt-get reported success but Tomcat, PostgreSQL, PostGIS, JDK 17 or Maven is still missing"
}

cmd_build() {
    [[ -s "$WAR" ]] && return 0
    installed || cmd_install
    local build="$CACHE_ROOT/frost/build-$WAR_DIGEST"
    rm -rf "$build" && mkdir -p "$build" && cp -r "$FROST_DIR/war/." "$build/"
    local extra=()
    read -ra extra <<<"${CITYTWIN_MVN_ARGS:-}"
    say "building the FROST-Server war (Maven, FROST 2.0.0 jars from Maven Central)"
    (cd "$build" && mvn -B -q "${extra[@]}" clean package -DskipTests) \
        || die "the war did not build (Maven output above); check that Maven Central is reachable"
    cp "$build/target/FROST-Server.war" "$WAR.tmp" && mv "$WAR.tmp" "$WAR"
    rm -rf "$build"
    say "built $WAR"
}

pg_start() {
    mkdir -p "$STATE/pg"
    [[ "$(id -u)" = 0 ]] && chown postgres:postgres "$STATE/pg"
    chmod 700 "$STATE/pg"
    local fresh=0
    if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
        "${AS_PG[@]}" "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 \
            --no-locale >/dev/null
        fresh=1
    fi
    "${AS_PG[@]}" mkdir -p -m 700 "$PGSOCK" && "${AS_PG[@]}" chmod 700 "$PGSOCK"
    # Written on every start, so a cluster made by an older version of this script is closed too.
    printf '%s\n' "$HBA" | "${AS_PG[@]}" tee "$PGDATA/pg_hba.conf" >/dev/null
    if ! "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
        require_port_free "$PG_PORT" CITYTWIN_FROST_PG_PORT
        "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$STATE/pg/server.log" -w -t 60 -o \
            "-p $PG_PORT -k $PGSOCK -c listen_addresses=127.0.0.1 -c unix_socket_permissions=0700 -c fsync=off -c shared_buffers=64MB" \
            start >/dev/null || die "PostgreSQL did not start; see $STATE/pg/server.log"
    else
        "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" reload >/dev/null
    fi
    if (( fresh )); then
        "${AS_PG[@]}" "$PG_BIN/psql" -h "$PGSOCK" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -q <<SQL
CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASS';
CREATE DATABASE $DB OWNER $DB_USER;
\c $DB
CREATE EXTENSION IF NOT EXISTS postgis;
SQL
    fi
}

tomcat_config() {
    mkdir -p "$CATALINA_BASE"/{conf,logs,temp,webapps,work}
    local f
    for f in web.xml catalina.properties logging.properties context.xml; do cp -n "/etc/tomcat10/$f" "$CATALINA_BASE/conf/"; done
    cat >"$CATALINA_BASE/conf/server.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="$FROST_PORT" address="127.0.0.1" protocol="HTTP/1.1" connectionTimeout="20000"/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" unpackWARs="true" autoDeploy="false"/>
    </Engine>
  </Service>
</Server>
XML
    cp "$WAR" "$CATALINA_BASE/webapps/FROST-Server.war"
    [[ "$(id -u)" = 0 ]] && chown -R tomcat:tomcat "$CATALINA_BASE"
    chmod 700 "$CATALINA_BASE"
}

answers() { [[ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$ROOT_URL/v1.1/Things?\$top=1" || true)" = 200 ]]; }

cmd_start() {
    answers && { say "FROST already answers at $ROOT_URL"; return 0; }
    cmd_build
    pg_start
    require_port_free "$FROST_PORT" CITYTWIN_FROST_PORT
    tomcat_config
    # FROST reads its settings from the environment first ('.' in a name becomes '_').
    export serviceRootUrl="$ROOT_URL" persistence_db_driver=org.postgresql.Driver \
        persistence_db_url="jdbc:postgresql://127.0.0.1:$PG_PORT/$DB" persistence_db_username="$DB_USER" \
        persistence_db_password="$DB_PASS" persistence_autoUpdateDatabase=true \
        persistence_idGenerationMode=ServerGeneratedOnly \
        bus_busImplementationClass=de.fraunhofer.iosb.ilt.frostserver.messagebus.InternalMessageBus \
        bus_queueSize=20000 plugins_multiDatastream_enable=false plugins_actuation_enable=false
    "${AS_TOMCAT[@]}" "$CATALINA_HOME/bin/catalina.sh" start >/dev/null
    local waited=0
    until answers; do
        (( waited >= START_TIMEOUT * 2 )) && die "FROST did not answer within ${START_TIMEOUT} s; see $CATALINA_BASE/logs"
        sleep 0.5; waited=$((waited + 1))
    done
    say "FROST up at $ROOT_URL"
}

cmd_stop() {
    if [[ -f "$CATALINA_PID" ]]; then
        "${AS_TOMCAT[@]}" "$CATALINA_HOME/bin/catalina.sh" stop 20 -force >/dev/null 2>&1 || true
        rm -f "$CATALINA_PID"
    fi
    if [[ -s "$PGDATA/PG_VERSION" ]] && "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
        "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || true
    fi
}

case "${1:-}" in
    install) cmd_install ;;
    build) cmd_build ;;
    start) check_port_value CITYTWIN_FROST_PORT "$FROST_PORT"; check_port_value CITYTWIN_FROST_PG_PORT "$PG_PORT"; cmd_start ;;
    stop) cmd_stop ;;
    status) answers && { say "FROST answers at $ROOT_URL"; exit 0; }; say "FROST does not answer at $ROOT_URL"; exit "$EXIT_STOPPED" ;;
    url) printf '%s\n' "$ROOT_URL" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
