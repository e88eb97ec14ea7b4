#!/usr/bin/env bash
# Debian packages the test suite drives for real: Chromium for the browser tests, Docker Engine
# and buildah for image builds, mmdebstrap to make an offline base image (no image registry is
# reachable from CI). Installs only what is missing; needs root (or passwordless sudo).
set -euo pipefail

need=()
command -v chromium >/dev/null || need+=(chromium chromium-driver)
command -v dockerd >/dev/null || need+=(docker.io)
command -v buildah >/dev/null || need+=(buildah)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
