#!/usr/bin/env bash
# Regatta's main job against the sandbox: a 6-cluster fleet, the example releases deployed to
# every cluster of their environment in parallel, then the releases × clusters status matrix.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
regatta() { node "$root/bin/regatta.js" "$@"; }

regatta sandbox up --clusters 6
eval "$(regatta sandbox env)"
cd examples
regatta plan
regatta deploy
regatta status
