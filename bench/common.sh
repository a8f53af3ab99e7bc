# What the bench scripts share, sourced first: the repository root as working directory, the
# release build they time ($BIN), and the host's steal time. On a virtual machine the host may
# run other guests on "our" cores, and the kernel counts the time they take as steal; a figure
# measured under steal is the host's bad hour, not the program's, so every timed line says how
# much of the cores' time was stolen while it ran.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/citytwin/target}"
cargo build --release -q -p citytwin
BIN="$CARGO_TARGET_DIR/release/citytwin"

cpu_ticks() { # "total steal" since boot, all cores (/proc/stat's first line)
  awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $9; exit }' /proc/stat 2>/dev/null || echo "0 0"
}

steal_since() { # "total steal" from cpu_ticks: the share stolen since then, e.g. "steal 12%"
  local now_ticks
  now_ticks=$(cpu_ticks)
  awk -v a="$1" -v b="$now_ticks" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[1] - x[1];
    if (t > 0) printf "steal %d%%", 100 * (y[2] - x[2]) / t; else printf "steal n/a" }'
}
