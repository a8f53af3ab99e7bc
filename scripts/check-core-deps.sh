#!/usr/bin/env bash
# DESIGN.md rule 1: nothing under sim/ depends on bevy, wgpu, winit, gdal or proj.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for manifest in sim/*/Cargo.toml; do
  pkg=$(sed -n 's/^name = "\(.*\)"/\1/p' "$manifest" | head -n1)
  bad=$(cargo tree -p "$pkg" -e normal --prefix none | grep -E '^(bevy|wgpu|winit|gdal|proj)[a-z_-]* ' | sort -u || true)
  if [ -n "$bad" ]; then
    echo "FAIL: $pkg depends on:"; echo "$bad"; status=1
  else
    echo "ok: $pkg"
  fi
done
exit $status
