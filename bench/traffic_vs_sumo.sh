#!/usr/bin/env bash
# citytwin's queue model against Eclipse SUMO on the very same network and trips.
#
# Networks: the demo city (netconvert from the scene's OSM file) and a 50×50 signalised grid
# (netgenerate, 200 m blocks, 2 lanes). Trips: randomTrips.py, one hour of departures. Both
# simulators read SUMO's files (citytwin: `citytwin run --sumo-net --sumo-trips`), run one
# after another on one core, and the script prints wall time, trips completed and mean
# travel time for each, and the ratios. SUMO runs mesoscopic with junction control (the fair
# comparison) and, unless SKIP_MICRO=1, its default microscopic model.
#
# Usage: bash bench/traffic_vs_sumo.sh [WORKDIR]   (default out/bench/sumo)
# Needs: pip install eclipse-sumo (done here when `sumo` is missing), osmium-tool.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/citytwin/target}"
WORK="${1:-out/bench/sumo}"
GRID_PERIOD="${GRID_PERIOD:-0.1}"   # one departure every 0.1 s: 36,000 trips in the hour
CITY_PERIOD="${CITY_PERIOD:-0.2}"   # 18,000 trips in the hour on the demo city
mkdir -p "$WORK"
command -v sumo >/dev/null || pip install --quiet eclipse-sumo
SUMO_HOME="$(python3 -c 'import sumo; print(sumo.SUMO_HOME)')"
export SUMO_HOME
cargo build --release -q -p citytwin
BIN="$CARGO_TARGET_DIR/release/citytwin"

build_grid() {
  [ -f "$WORK/grid.net.xml" ] || netgenerate --grid --grid.number 50 --grid.length 200 \
    --default.lanenumber 2 --default-junction-type traffic_light -o "$WORK/grid.net.xml" >/dev/null
}

build_city() {
  [ -f "$WORK/city.net.xml" ] && return
  netconvert --osm-files assets/cities/chengdu/chengdu_center_2018.osm \
    --keep-edges.by-vclass passenger --remove-edges.isolated --geometry.remove \
    --ramps.guess --junctions.join --tls.guess-signals --tls.discard-simple --tls.join \
    --no-warnings -o "$WORK/city.net.xml" >/dev/null
}

trips() { # name period [--validate: drop unroutable trips (duarouter; slow on big demand)]
  [ -f "$WORK/$1.trips.xml" ] || python3 "$SUMO_HOME/tools/randomTrips.py" -n "$WORK/$1.net.xml" \
    -b 0 -e 3600 -p "$2" --seed 1 $3 -o "$WORK/$1.trips.xml" >/dev/null
}

sumo_run() { # name mode(meso|micro)
  local extra=()
  [ "$2" = meso ] && extra=(--mesosim --meso-junction-control)
  local t0 t1
  t0=$(date +%s.%N)
  sumo -n "$WORK/$1.net.xml" -r "$WORK/$1.trips.xml" "${extra[@]}" --no-step-log --no-warnings --duration-log.statistics \
    --threads 1 --statistic-output "$WORK/$1.$2.stats.xml" >/dev/null
  t1=$(date +%s.%N)
  python3 - "$1" "$2" "$(python3 -c "print($t1 - $t0)")" "$WORK/$1.$2.stats.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
name, mode, wall, path = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
root = ET.parse(path).getroot()
trip = root.find("vehicleTripStatistics")
teleports = root.find("teleports")
print(f"{name:5s} sumo-{mode:5s} wall {wall:8.2f} s  completed {int(trip.get('count')):7d}  "
      f"mean travel time {float(trip.get('duration')):7.1f} s  teleports {teleports.get('total')}")
PY
}

citytwin_run() { # name
  "$BIN" -q run --sumo-net "$WORK/$1.net.xml" --sumo-trips "$WORK/$1.trips.xml" -o "$WORK/$1.citytwin"
  python3 - "$1" "$WORK/$1.citytwin/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[2]))
t, r = s["traffic"], s["run"]
print(f"{sys.argv[1]:5s} citytwin   wall {r['wall_seconds']:8.2f} s  completed {t['trips_completed']:7d}  "
      f"mean travel time {t['mean_travel_time_s']:7.1f} s  stuck moves {t['stuck_moves']}")
PY
}

ratio() { # name
  python3 - "$WORK" "$1" <<'PY'
import json, sys, xml.etree.ElementTree as ET
work, name = sys.argv[1], sys.argv[2]
s = json.load(open(f"{work}/{name}.citytwin/summary.json"))
stats = ET.parse(f"{work}/{name}.meso.stats.xml").getroot()
trip, perf = stats.find("vehicleTripStatistics"), stats.find("performance")
sumo_wall = float(perf.get("clockDuration")) if perf is not None else float("nan")
tt = s["traffic"]["mean_travel_time_s"] / float(trip.get("duration"))
print(f"{name:5s} citytwin vs SUMO meso: mean travel time ratio {tt:.3f}; "
      f"SUMO's own timer {sumo_wall:.2f} s / citytwin {s['run']['wall_seconds']:.2f} s = "
      f"{sumo_wall / s['run']['wall_seconds']:.1f}×")
PY
}

for name in grid city; do
  if [ "$name" = grid ]; then build_grid; trips grid "$GRID_PERIOD" ""; else build_city; trips city "$CITY_PERIOD" --validate; fi
  citytwin_run "$name"
  sumo_run "$name" meso
  [ "${SKIP_MICRO:-0}" = 1 ] || sumo_run "$name" micro
  ratio "$name"
done
