#!/usr/bin/env bash
# Deletes the local cluster up.sh created (kind, or k3d with --k3d).
set -euo pipefail
cluster=${CLUSTER_NAME:-platform}
if [ "${1:-}" = --k3d ]; then k3d cluster delete "$cluster"; else kind delete cluster --name "$cluster"; fi
