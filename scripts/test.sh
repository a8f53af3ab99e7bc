#!/usr/bin/env bash
# The whole test suite, as CI runs it. Expects scripts/setup.sh to have run (make test does).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/citytwin/target}"

echo "== rustfmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== core crates pull in no renderer, GDAL or PROJ"
bash scripts/check-core-deps.sh
echo "== tests"
cargo test --workspace
