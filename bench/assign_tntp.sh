#!/usr/bin/env bash
# Static assignment on the TNTP networks in ../shared/data/tntp (or $TNTP_DIR): runs
# `citytwin assign` on each and prints objective, gap, iterations, seconds and, where a
# best-known solution exists, the objective error and the link-flow RMSE against it.
# Usage: bash bench/assign_tntp.sh [GAP]   (default 1e-6)
source "$(dirname "$0")/common.sh"
TNTP_DIR="${TNTP_DIR:-../shared/data/tntp}"
GAP="${1:-1e-6}"

# name  directory  net  trips  flow  best-known objective (README; SiouxFalls is quoted ×1e-5)
while read -r name dir net trips flow best; do
  args=(assign --net "$TNTP_DIR/$dir/$net" --trips "$TNTP_DIR/$dir/$trips" --gap "$GAP" --json -q)
  [ "$flow" != "-" ] && args+=(--compare "$TNTP_DIR/$dir/$flow")
  json=$("$BIN" "${args[@]}" | tail -n 1)
  python3 - "$name" "$best" "$json" <<'PY'
import json, sys
name, best, r = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
line = f"{name:15s} objective {r['objective']:.10g}  gap {r['relative_gap']:.2e}  iterations {r['iterations']:4d}  {r['seconds']:.2f} s"
if best != "-":
    line += f"  objective error {abs(r['objective'] - float(best)) / float(best):.2e}"
if "flow_rmse_relative" in r:
    line += f"  flow RMSE {100 * r['flow_rmse_relative']:.4f}% of mean"
print(line)
PY
done <<'NETS'
SiouxFalls SiouxFalls SiouxFalls_net.tntp SiouxFalls_trips.tntp SiouxFalls_flow.tntp 4231335.287107440
Anaheim Anaheim Anaheim_net.tntp Anaheim_trips.tntp Anaheim_flow.tntp -
Chicago-Sketch Chicago-Sketch ChicagoSketch_net.tntp ChicagoSketch_trips.tntp ChicagoSketch_flow.tntp 17313018.7387477
Berlin-Center Berlin-Center berlin-center_net.tntp berlin-center_trips.tntp - -
NETS
