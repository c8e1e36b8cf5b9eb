#!/usr/bin/env bash
# Runs the Better Auth client compatibility suite against a server that this script starts and
# stops itself.
#
#   run.sh [authd]   builds authd, gives it a fresh database on the PostgreSQL server of
#                    AUTHD_TEST_DATABASE_URL (an admin URL that may CREATE DATABASE), a mail
#                    sink, a service key and an admin account, and runs the suite against it.
#   run.sh oracle    starts the reference Better Auth 1.7.5 server on the database
#                    COMPAT_ORACLE_DATABASE_URL and runs the same suite against it. Without
#                    that URL it makes a fresh database from AUTHD_TEST_DATABASE_URL instead.
#
# Other settings:
#   COMPAT_ORACLE_HOME  folder with the reference server's start and stop scripts
#   COMPAT_ORACLE_DIR   its work directory (default /tmp/authd-compat-oracle)
#   COMPAT_ORACLE_PORT  its port (default 3199)
#   COMPAT_SMTP_PORT    port of the mail sink in authd mode (default: a free port)
#   COMPAT_AUTHD_BIN    an authd binary to test instead of building ./cmd/authd
#   COMPAT_KEEP=1       keep the temporary folder and the fresh database after the run
#   COMPAT_TESTS        test files to run, relative to this folder (default: *.test.mjs)
# Progress goes to stderr; the test runner's report goes to stdout. The exit status is the test
# runner's, or 1 when the server could not be prepared.
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$HERE/../.." && pwd -P)
MODE=${1:-authd}

# A fixed secret, so that a failed run can be reproduced against the same cookies.
AUTHD_COMPAT_SECRET=authd-compat-fixed-secret-0123456789abcd
ADMIN_PASSWORD=compat-admin-password-1
START_TIMEOUT_SECONDS=30

info() {
  echo "compat: $*" >&2
}

fail() {
  echo "compat: $*" >&2
  exit 1
}

check_node() {
  local version major minor
  command -v node >/dev/null && command -v npm >/dev/null ||
    fail "node and npm are needed; install Node.js 20.19 or newer (Debian: apt-get install nodejs npm)"
  version=$(node -p 'process.versions.node')
  IFS=. read -r major minor _ <<<"$version"
  if ((major < 20 || (major == 20 && minor < 19))); then
    fail "Node.js $version is too old: Better Auth 1.7.5 needs Node.js 20.19 or newer"
  fi
}

# Installs the pinned client packages when node_modules is missing or was installed from another
# package-lock.json. The installed lock file is copied into node_modules, which npm ci deletes
# first, so a half-finished install is never taken for a complete one.
install_packages() {
  local installed_lock=$HERE/node_modules/.compat-package-lock.json
  if [[ -d $HERE/node_modules ]] && cmp -s "$HERE/package-lock.json" "$installed_lock"; then
    return
  fi
  info "installing the client packages (npm ci in $HERE)"
  (cd -- "$HERE" && NPM_CONFIG_UPDATE_NOTIFIER=false npm ci --no-audit --no-fund) >&2 ||
    fail "npm ci failed in $HERE"
  cp -- "$HERE/package-lock.json" "$installed_lock"
}

# Prints a TCP port on 127.0.0.1 that is free right now.
free_port() {
  node -e '
    const server = require("node:net").createServer();
    server.listen(0, "127.0.0.1", () => {
      console.log(server.address().port);
      server.close();
    });'
}

run_tests() {
  local target=$1 base_url=$2 files
  read -r -a files <<<"${COMPAT_TESTS:-$(cd -- "$HERE" && echo *.test.mjs)}"
  info "running ${files[*]} against $target at $base_url"
  (cd -- "$HERE" && COMPAT_TARGET=$target COMPAT_BASE_URL=$base_url node --test "${files[@]}")
}

# True while the process exists and is not a zombie.
is_running() {
  kill -0 "$1" 2>/dev/null && [[ $(ps -o stat= -p "$1" 2>/dev/null) != Z* ]]
}

# Sends SIGTERM, waits up to 10 s, then sends SIGKILL.
stop_process() {
  local pid=$1 name=$2 i
  is_running "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    is_running "$pid" || return 0
    sleep 0.1
  done
  info "$name (pid $pid) still ran 10 s after SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# fresh databases, made with an admin URL and dropped at exit

ADMIN_URL=
DATABASE_NAME=

# Creates a database with a random name on the server of the admin URL $1.
create_database() {
  ADMIN_URL=$1
  command -v psql >/dev/null || fail "psql is needed to create the test database (Debian: apt-get install postgresql-client)"
  DATABASE_NAME=authd_compat_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
  psql -X -q -v ON_ERROR_STOP=1 "$ADMIN_URL" -c "CREATE DATABASE \"$DATABASE_NAME\"" >&2 ||
    fail "could not create database $DATABASE_NAME with the admin URL; it needs the CREATEDB privilege"
}

# Prints ADMIN_URL with its database replaced by DATABASE_NAME.
database_url() {
  node -e '
    const url = new URL(process.argv[1]);
    url.pathname = "/" + process.argv[2];
    console.log(url.href);' "$ADMIN_URL" "$DATABASE_NAME"
}

drop_database() {
  if [[ -z $DATABASE_NAME ]]; then
    return
  fi
  psql -X -q -v ON_ERROR_STOP=1 "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$DATABASE_NAME\" WITH (FORCE)" >&2 ||
    info "could not drop database $DATABASE_NAME; drop it by hand"
}

# ---------------------------------------------------------------------------------------------
# oracle mode

ORACLE_HOME_DIR=

cleanup_oracle() {
  "$ORACLE_HOME_DIR/stop" || info "could not stop the reference server in $ORACLE_DIR"
  if [[ ${COMPAT_KEEP:-} == 1 ]]; then
    [[ -z $DATABASE_NAME ]] || info "kept database $DATABASE_NAME (COMPAT_KEEP=1)"
    return
  fi
  drop_database
}

run_oracle() {
  ORACLE_HOME_DIR=${COMPAT_ORACLE_HOME:-$REPO/../shared/oracle}
  export ORACLE_DIR=${COMPAT_ORACLE_DIR:-/tmp/authd-compat-oracle}
  export ORACLE_PORT=${COMPAT_ORACLE_PORT:-3199}
  [[ -x $ORACLE_HOME_DIR/start && -x $ORACLE_HOME_DIR/stop ]] ||
    fail "no reference server scripts in $ORACLE_HOME_DIR; set COMPAT_ORACLE_HOME to the folder that holds start and stop"

  # A server left running in this work directory by an interrupted run belongs to this script.
  "$ORACLE_HOME_DIR/stop" 2>/dev/null || true
  trap cleanup_oracle EXIT

  if [[ -n ${COMPAT_ORACLE_DATABASE_URL:-} ]]; then
    export ORACLE_DATABASE_URL=$COMPAT_ORACLE_DATABASE_URL
  elif [[ -n ${AUTHD_TEST_DATABASE_URL:-} ]]; then
    create_database "$AUTHD_TEST_DATABASE_URL"
    ORACLE_DATABASE_URL=$(database_url)
    export ORACLE_DATABASE_URL
  else
    fail "set COMPAT_ORACLE_DATABASE_URL to a PostgreSQL URL for the reference server (e.g. postgres://oracle:oracle@127.0.0.1:55432/authd_oracle), or AUTHD_TEST_DATABASE_URL to an admin URL"
  fi

  local base_url status=0
  base_url=$("$ORACLE_HOME_DIR/start") || fail "the reference server did not start; see $ORACLE_DIR/server.log"
  run_tests oracle "$base_url" || status=$?
  if ((status != 0)); then
    info "tests failed; last lines of $ORACLE_DIR/server.log:"
    tail -n 100 -- "$ORACLE_DIR/server.log" >&2 || true
  fi
  return "$status"
}

# ---------------------------------------------------------------------------------------------
# authd mode

WORK_DIR=
AUTHD_PID=
SINK_PID=

cleanup_authd() {
  if [[ -n $AUTHD_PID ]]; then stop_process "$AUTHD_PID" authd; fi
  if [[ -n $SINK_PID ]]; then stop_process "$SINK_PID" "mail sink"; fi
  if [[ ${COMPAT_KEEP:-} == 1 ]]; then
    info "kept $WORK_DIR and database ${DATABASE_NAME:-(none)} (COMPAT_KEEP=1)"
    return
  fi
  drop_database
  if [[ -n $WORK_DIR ]]; then rm -rf -- "$WORK_DIR"; fi
}

wait_for_port() {
  local port=$1 pid=$2 name=$3 deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do
    is_running "$pid" || fail "$name exited during start-up"
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return
    sleep 0.1
  done
  fail "$name did not listen on 127.0.0.1:$port within 10 s"
}

wait_for_authd() {
  local base_url=$1 deadline=$((SECONDS + START_TIMEOUT_SECONDS))
  while ((SECONDS < deadline)); do
    if ! is_running "$AUTHD_PID"; then
      tail -n 100 -- "$WORK_DIR/authd.log" >&2 || true
      fail "authd exited during start-up; its log is above"
    fi
    curl -fs -o /dev/null -m 1 "$base_url/api/auth/ok" && return
    sleep 0.2
  done
  tail -n 100 -- "$WORK_DIR/authd.log" >&2 || true
  fail "GET $base_url/api/auth/ok timed out after $START_TIMEOUT_SECONDS s; authd's log is above"
}

# Creates the service key that the suite's server-side helpers use. A failure here only fails
# the tests that need the key, so the rest of the suite still runs.
create_service_key() {
  local key
  if key=$("$WORK_DIR/authd" service-key create --name compat 2>>"$WORK_DIR/authd.log") && [[ -n $key ]]; then
    export COMPAT_SERVICE_KEY=$key
  else
    info "'authd service-key create' failed (see $WORK_DIR/authd.log); tests that need a service key will fail"
  fi
}

# Signs an admin up over HTTP and grants the role in SQL, which works because authd keeps Better
# Auth's table layout. A failure here only fails the tests that need an admin.
create_admin() {
  local base_url=$1 database_url=$2
  export COMPAT_ADMIN_EMAIL="compat-admin-$DATABASE_NAME@example.com"
  export COMPAT_ADMIN_PASSWORD=$ADMIN_PASSWORD
  if ! curl -fs -o /dev/null -m 10 -X POST "$base_url/api/auth/sign-up/email" \
    -H 'content-type: application/json' \
    -d "{\"name\":\"Compat Admin\",\"email\":\"$COMPAT_ADMIN_EMAIL\",\"password\":\"$COMPAT_ADMIN_PASSWORD\"}"; then
    info "sign-up of the admin account failed; tests that need an admin will fail"
    return
  fi
  psql -X -q -v ON_ERROR_STOP=1 "$database_url" \
    -c "UPDATE \"user\" SET role = 'admin' WHERE email = '$COMPAT_ADMIN_EMAIL'" >&2 ||
    info "could not grant the admin role in $DATABASE_NAME; tests that need an admin will fail"
}

run_authd() {
  [[ -n ${AUTHD_TEST_DATABASE_URL:-} ]] ||
    fail "set AUTHD_TEST_DATABASE_URL to a PostgreSQL URL that may CREATE DATABASE (make compat sets it)"
  [[ -n ${COMPAT_AUTHD_BIN:-} ]] || command -v go >/dev/null || fail "go is not in PATH"
  command -v curl >/dev/null || fail "curl is needed to wait for authd (Debian: apt-get install curl)"

  WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/authd-compat.XXXXXX")
  trap cleanup_authd EXIT

  if [[ -n ${COMPAT_AUTHD_BIN:-} ]]; then
    [[ -x $COMPAT_AUTHD_BIN ]] || fail "COMPAT_AUTHD_BIN=$COMPAT_AUTHD_BIN is not an executable file"
    cp -- "$COMPAT_AUTHD_BIN" "$WORK_DIR/authd"
  else
    info "building authd"
    (cd -- "$REPO" && go build -o "$WORK_DIR/authd" ./cmd/authd) || fail "go build ./cmd/authd failed"
  fi

  create_database "$AUTHD_TEST_DATABASE_URL"
  local database_url
  database_url=$(database_url)

  local smtp_port=${COMPAT_SMTP_PORT:-$(free_port)}
  export COMPAT_SMTP_PORT=$smtp_port
  export COMPAT_MAIL_LOG=$WORK_DIR/mail.log
  node "$HERE/mailsink.mjs" >>"$WORK_DIR/mailsink.log" 2>&1 &
  SINK_PID=$!
  wait_for_port "$smtp_port" "$SINK_PID" "the mail sink"

  local port base_url
  port=$(free_port)
  base_url=http://127.0.0.1:$port
  export AUTHD_DATABASE_URL=$database_url
  export AUTHD_MODE=dev
  export AUTHD_SECRET=$AUTHD_COMPAT_SECRET
  export AUTHD_LISTEN_ADDR=127.0.0.1:$port
  # No admin listener: a developer's make run may already hold its default port.
  export AUTHD_ADMIN_LISTEN_ADDR=
  export AUTHD_BASE_URL=$base_url
  export AUTHD_RATE_LIMIT=off
  export AUTHD_SMTP_HOST=127.0.0.1
  export AUTHD_SMTP_PORT=$smtp_port
  export AUTHD_SMTP_TLS=none
  export AUTHD_MAIL_FROM=authd@example.com
  export AUTHD_DATA_DIR=$WORK_DIR

  info "starting authd on $base_url (database $DATABASE_NAME, log $WORK_DIR/authd.log)"
  "$WORK_DIR/authd" serve >>"$WORK_DIR/authd.log" 2>&1 &
  AUTHD_PID=$!
  wait_for_authd "$base_url"

  # serve has applied the migrations by now, which the service key and the admin need.
  create_service_key
  create_admin "$base_url" "$database_url"

  local status=0
  run_tests authd "$base_url" || status=$?
  if ((status != 0)); then
    info "tests failed; authd's log:"
    tail -n 200 -- "$WORK_DIR/authd.log" >&2 || true
  fi
  return "$status"
}

# Turning signals into a normal exit makes the EXIT traps stop the servers and drop the
# database when a run is interrupted.
trap 'exit 130' INT
trap 'exit 143' TERM

check_node
install_packages
case $MODE in
  authd) run_authd ;;
  oracle) run_oracle ;;
  *) fail "unknown mode '$MODE'; use 'authd' (the default) or 'oracle'" ;;
esac
