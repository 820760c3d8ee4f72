#!/usr/bin/env bash
# Load benchmark entry point (`npm run bench`): keel beside its peers on 127.0.0.1.
# Owns nothing but the checks and the hand-off to bench/run.mjs; every flag is
# passed through (see bench/README.md). Not part of CI; needs wrk, taskset
# (util-linux) and, for the static rows, nginx from Debian.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
for tool in wrk taskset node; do
  command -v "$tool" >/dev/null || { echo "bench: $tool not found (apt-get install -y wrk nginx)" >&2; exit 1; }
done
exec node "$here/run.mjs" "$@"
