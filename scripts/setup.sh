#!/usr/bin/env bash
# Everything Regatta and its sandbox need on a fresh Debian machine with Node.js 20 and Go:
# the Debian OCI registry and tmux, npm packages, the TypeScript build and the sandbox binaries
# (built from the Go module proxy into ~/.cache/regatta the first time: 20-40 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local

step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "Debian packages"
# docker-registry: the sandbox's OCI registry; tmux: the terminal the live view's test reads.
if ! command -v docker-registry >/dev/null 2>&1 || ! command -v tmux >/dev/null 2>&1; then
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends docker-registry tmux
fi

step "npm ci"
npm ci --no-audit --no-fund

step "build"
npm run build

step "sandbox binaries (cached; only what is missing is built)"
# --flux: the Flux controllers too (the GitOps integration test runs them; 20-30 min cold).
node bin/regatta.js sandbox prepare --flux
