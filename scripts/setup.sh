#!/usr/bin/env bash
# Installs the system packages citytwin needs on Debian 12 (run as root, or with sudo).
# Idempotent: packages already present are not reinstalled, so `make test` can call it every time.
set -euo pipefail

PACKAGES=(
  # build
  build-essential pkg-config cmake libclang-dev
  # GIS: GDAL (+ its OSM driver), PROJ, osmium-tool (OSM XML <-> PBF in tests)
  libgdal-dev gdal-bin gdal-data libproj-dev proj-bin proj-data sqlite3 libsqlite3-dev osmium-tool
  # viewer: X11 window, Mesa software Vulkan, Xvfb for screens-less machines
  libxkbcommon-dev libxkbcommon-x11-0 mesa-vulkan-drivers libvulkan1 vulkan-tools xvfb xauth
  # viewer text and comparison plots: Latin and Chinese glyphs in one font
  fonts-wqy-microhei
  # sweeps: GNU parallel executes a sweep's job manifest (and the tests check that path)
  parallel
  # time zones: a scene's `timezone` is checked against the IANA database (GBFS publishes it)
  tzdata
  # live feeds: the MQTT broker (tests start their own on a free loopback port) and its
  # command-line clients, for publishing by hand
  mosquitto mosquitto-clients
  # GBFS out: the tests check the feeds against the official GBFS JSON schemas
  python3-jsonschema python3-yaml
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all system packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
