#!/usr/bin/env bash
# Static assignment against AequilibraE 1.7.2's bi-conjugate Frank-Wolfe (issue 22), on the
# TNTP networks in ../shared/data/tntp (or $TNTP_DIR), to the same relative gaps.
#
# Each network and gap: `citytwin assign` (its own `seconds`: reading the files, building the
# network and assigning, on every core) and bench/aequilibrae_bfw.py (`execute()` alone, one
# thread, as the issue measured it; the graph and the matrix are built before its clock
# starts), one after the other. Both solve the same problem: the same BPR costs, the same
# generalised-cost weights (the network README's; Chicago-Sketch: 0.02 min/cent, 0.04 min/mile),
# flows kept out of centroids, and the same relative gap as the stopping rule; the Beckmann
# objectives they reach are printed side by side as the check. Every line says how much of the
# cores' time the host stole while it ran (a virtual machine's bad hour is not the program's).
#
# Usage: bash bench/assign_vs_aequilibrae.sh            (gaps 1e-4 and 1e-5, the three networks
#                                                        AequilibraE was measured on)
#        NETWORKS="Berlin-Center" GAPS="1e-4" bash bench/assign_vs_aequilibrae.sh
# Needs: python3 -m venv; AequilibraE is installed in $AEQ_VENV (default out/bench/aequilibrae)
# the first time.
source "$(dirname "$0")/common.sh"
TNTP_DIR="${TNTP_DIR:-../shared/data/tntp}"
AEQ_VENV="${AEQ_VENV:-out/bench/aequilibrae}"
if [ ! -x "$AEQ_VENV/bin/python" ] || ! "$AEQ_VENV/bin/python" -c 'import aequilibrae' 2>/dev/null; then
  python3 -m venv "$AEQ_VENV"
  "$AEQ_VENV/bin/pip" install --quiet 'aequilibrae==1.7.2'
fi

# name  directory  net  trips  toll weight  distance weight (the README's)
while read -r name dir net trips toll distance; do
  case " ${NETWORKS:-SiouxFalls Anaheim Chicago-Sketch} " in *" $name "*) ;; *) continue ;; esac
  for gap in ${GAPS:-1e-4 1e-5}; do
    ticks=$(cpu_ticks)
    ours=$("$BIN" -q assign --net "$TNTP_DIR/$dir/$net" --trips "$TNTP_DIR/$dir/$trips" --gap "$gap" \
      --toll-weight "$toll" --distance-weight "$distance" --json | tail -n 1)
    theirs=$("$AEQ_VENV/bin/python" bench/aequilibrae_bfw.py "$TNTP_DIR/$dir/$net" "$TNTP_DIR/$dir/$trips" \
      "$gap" "$toll" "$distance" 2>"$AEQ_VENV/last_run.log" | tail -n 1) ||
      { echo "AequilibraE failed on $name (gap $gap): see $AEQ_VENV/last_run.log" >&2; exit 1; }
    python3 - "$name" "$gap" "$ours" "$theirs" "$(steal_since "$ticks")" <<'PY'
import json, sys
name, gap, ours, theirs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
steal = sys.argv[5]
print(f"{name:15s} gap {gap}: citytwin {ours['seconds']:7.3f} s ({ours['iterations']} iterations, "
      f"gap {ours['relative_gap']:.1e}, objective {ours['objective']:.8g})  AequilibraE BFW "
      f"{theirs['seconds']:7.3f} s ({theirs['iterations']} iterations, gap {theirs['relative_gap']:.1e}, "
      f"objective {theirs['objective']:.8g}; {theirs['seconds_with_reading']:.2f} s from reading)  "
      f"= {theirs['seconds'] / ours['seconds']:.1f}x  ({steal})")
PY
  done
done <<'NETS'
SiouxFalls SiouxFalls SiouxFalls_net.tntp SiouxFalls_trips.tntp 0 0
Anaheim Anaheim Anaheim_net.tntp Anaheim_trips.tntp 0 0
Chicago-Sketch Chicago-Sketch ChicagoSketch_net.tntp ChicagoSketch_trips.tntp 0.02 0.04
Berlin-Center Berlin-Center berlin-center_net.tntp berlin-center_trips.tntp 0 0
NETS
