#!/usr/bin/env bash
# Makes sure a Docker engine answers, and prints the docker command that can build with BuildKit on it.
#   infra/images/engine.sh            # prints e.g. "docker" or "/usr/bin/docker"; exit 3 when no engine can run
# When no engine answers and this runs as root (or with sudo) on a Debian/Ubuntu machine, it installs Debian's
# docker.io (dockerd, containerd, runc) and starts dockerd in the background, its log in .artifacts/dockerd.log:
# the same engine a Debian host runs as a service, started by hand where no init system runs services.
# The images' Dockerfiles use BuildKit (RUN --mount=type=cache). A docker client of 23 or later builds with
# BuildKit only through the buildx plugin; where that plugin is missing, Debian 12's 20.10 client (BuildKit built in)
# is used instead, or the distribution's docker-buildx package is installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

sudo=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo="sudo"

engine_answers() { timeout 20 "${1:-docker}" info >/dev/null 2>&1; }

start_engine() {
  if ! command -v dockerd >/dev/null; then
    echo "images: installing Debian's docker.io (the Docker engine)" >&2
    bash "$root/infra/install-packages.sh" docker.io
    command -v dockerd >/dev/null || { echo "images: no Docker engine, and docker.io could not be installed" >&2; return 1; }
  fi
  if [ "$(id -u)" -ne 0 ] && [ -z "$sudo" ]; then
    echo "images: dockerd is installed but not running, and starting it needs root" >&2; return 1
  fi
  mkdir -p "$root/.artifacts"
  echo "images: starting dockerd (log: .artifacts/dockerd.log)" >&2
  # setsid: the engine outlives this script and the test run that started it, like a system service.
  $sudo setsid dockerd >"$root/.artifacts/dockerd.log" 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    engine_answers && return 0
    sleep 1
  done
  echo "images: dockerd did not answer within 60 s; its log:" >&2
  tail -n 20 "$root/.artifacts/dockerd.log" >&2
  return 1
}

if ! engine_answers docker && ! engine_answers /usr/bin/docker; then
  start_engine || exit 3
fi

# A client that builds with BuildKit: the default one with buildx, or one older than 23 (BuildKit built in).
builds_with_buildkit() {
  local cli=$1 major
  command -v "$cli" >/dev/null || return 1
  "$cli" buildx version >/dev/null 2>&1 && return 0
  major=$("$cli" version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1)
  [ -n "$major" ] && [ "$major" -lt 23 ] 2>/dev/null
}
pick_client() {
  for cli in docker /usr/bin/docker; do
    if builds_with_buildkit "$cli" && engine_answers "$cli"; then echo "$cli"; return 0; fi
  done
  return 1
}
pick_client && exit 0
# Debian 13 and Ubuntu ship docker.io 26+ (BuildKit through buildx only) with buildx as its own package.
echo "images: installing docker-buildx (the client here builds with BuildKit only through it)" >&2
bash "$root/infra/install-packages.sh" docker-buildx
pick_client && exit 0
echo "images: the docker client here builds with BuildKit only through the buildx plugin, which is missing" >&2
exit 3
