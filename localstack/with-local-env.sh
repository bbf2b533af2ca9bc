#!/usr/bin/env bash
# Runs a command with the local stack's endpoints and dummy credentials (localstack/local.env).
set -euo pipefail
set -a
# shellcheck source=local.env
source "$(dirname "${BASH_SOURCE[0]}")/local.env"
set +a
exec "$@"
