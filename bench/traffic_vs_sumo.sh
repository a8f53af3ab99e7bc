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
# SUMO's best setup is timed too: routes computed beforehand by `duarouter --routing-algorithm CH`
# (contraction hierarchies), then meso with junction control on those routes. Every tool is timed
# as a whole process, one after another, and the script prints two ratios against citytwin's whole
# process (routing included): SUMO total (duarouter + meso) and SUMO's simulation alone.
#
# Each tool's program and libraries are loaded once untimed (`--version`) right before it is
# timed: after SUMO's long grid runs the next process otherwise pays for reading its shared
# libraries back from disk (citytwin's GDAL alone is 114 of them), which measures the disk.
# citytwin's run on the demo city lasts a third of a second, where one run's spread on this
# machine kind (±15%) is wider than the differences measured: it is run CITYTWIN_RUNS times
# (default 5) and the median kept. SUMO's runs last seconds and are timed once.
#
# Usage: bash bench/traffic_vs_sumo.sh [WORKDIR]   (default out/bench/sumo)
#        NETWORKS="city" bash bench/traffic_vs_sumo.sh   (only some networks: grid, city)
# Needs: pip install eclipse-sumo (done here when `sumo` is missing), osmium-tool.
source "$(dirname "$0")/common.sh"
WORK="${1:-out/bench/sumo}"
GRID_PERIOD="${GRID_PERIOD:-0.1}"   # one departure every 0.1 s: 36,000 trips in the hour
CITY_PERIOD="${CITY_PERIOD:-0.2}"   # 18,000 trips in the hour on the demo city
mkdir -p "$WORK"
command -v sumo >/dev/null || pip install --quiet eclipse-sumo
SUMO_HOME="$(python3 -c 'import sumo; print(sumo.SUMO_HOME)')"
export SUMO_HOME

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

trips() { # name period: routable trips only (randomTrips validates with duarouter; slow once)
  # (inside WORK: the validation leaves its routes.rou.xml in the working directory)
  [ -f "$WORK/$1.trips.xml" ] || (cd "$WORK" && python3 "$SUMO_HOME/tools/randomTrips.py" \
    -n "$1.net.xml" -b 0 -e 3600 -p "$2" --seed 1 --validate -o "$1.trips.xml" >/dev/null)
}

now() { date +%s.%N; }
seconds_since() { python3 -c "print(f'{$(now) - $1:.3f}')"; }

warm() { # program: loaded once, untimed, so the timed run does not read it from disk
  "$1" --version >/dev/null 2>&1 || true
}

sumo_run() { # name mode(meso|micro|meso-routed): meso-routed reads duarouter's routes
  local extra=() demand="$WORK/$1.trips.xml"
  case "$2" in
    meso) extra=(--mesosim --meso-junction-control) ;;
    meso-routed) extra=(--mesosim --meso-junction-control); demand="$WORK/$1.ch.rou.xml" ;;
  esac
  local t0 wall ticks
  warm sumo
  ticks=$(cpu_ticks)
  t0=$(now)
  sumo -n "$WORK/$1.net.xml" -r "$demand" "${extra[@]}" --no-step-log --no-warnings --duration-log.statistics \
    --threads 1 --statistic-output "$WORK/$1.$2.stats.xml" >/dev/null
  wall=$(seconds_since "$t0")
  echo "$wall" > "$WORK/$1.$2.wall"
  python3 - "$1" "$2" "$wall" "$WORK/$1.$2.stats.xml" "$(steal_since "$ticks")" <<'PY'
import sys, xml.etree.ElementTree as ET
name, mode, wall, path, steal = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
root = ET.parse(path).getroot()
trip = root.find("vehicleTripStatistics")
teleports = root.find("teleports")
print(f"{name:5s} sumo-{mode:11s} wall {wall:8.2f} s  completed {int(trip.get('count')):7d}  "
      f"mean travel time {float(trip.get('duration')):7.1f} s  teleports {teleports.get('total')}  ({steal})")
PY
}

duarouter_run() { # name: SUMO's fastest routing, contraction hierarchies, one thread
  local t0 wall ticks
  warm duarouter
  ticks=$(cpu_ticks)
  t0=$(now)
  duarouter -n "$WORK/$1.net.xml" -r "$WORK/$1.trips.xml" --routing-algorithm CH --routing-threads 1 \
    --no-step-log --no-warnings --ignore-errors -o "$WORK/$1.ch.rou.xml" >/dev/null
  wall=$(seconds_since "$t0")
  echo "$wall" > "$WORK/$1.duarouter.wall"
  printf '%-5s duarouter-CH      wall %8.2f s  (%s)\n' "$1" "$wall" "$(steal_since "$ticks")"
}

citytwin_run() { # name: the median of CITYTWIN_RUNS whole runs (default 5)
  local t0 i ticks
  warm "$BIN"
  ticks=$(cpu_ticks)
  for i in $(seq "${CITYTWIN_RUNS:-5}"); do
    t0=$(now)
    "$BIN" -q run --force --sumo-net "$WORK/$1.net.xml" --sumo-trips "$WORK/$1.trips.xml" -o "$WORK/$1.citytwin"
    seconds_since "$t0"
  done | sort -n | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }' > "$WORK/$1.citytwin.wall"
  python3 - "$1" "$WORK/$1.citytwin/summary.json" "$(cat "$WORK/$1.citytwin.wall")" "$(steal_since "$ticks")" <<'PY'
import json, sys
s = json.load(open(sys.argv[2]))
t, r = s["traffic"], s["run"]
print(f"{sys.argv[1]:5s} citytwin          wall {float(sys.argv[3]):8.2f} s  completed {t['trips_completed']:7d}  "
      f"mean travel time {t['mean_travel_time_s']:7.1f} s  stuck moves {t['stuck_moves']}  "
      f"(its own timer, reading to writing: {r['wall_seconds']:.2f} s; {sys.argv[4]})")
PY
}

ratio() { # name
  python3 - "$WORK" "$1" <<'PY'
import json, sys, xml.etree.ElementTree as ET
work, name = sys.argv[1], sys.argv[2]
wall = lambda tool: float(open(f"{work}/{name}.{tool}.wall").read())
s = json.load(open(f"{work}/{name}.citytwin/summary.json"))
trip = ET.parse(f"{work}/{name}.meso.stats.xml").getroot().find("vehicleTripStatistics")
tt = s["traffic"]["mean_travel_time_s"] / float(trip.get("duration"))
ours = wall("citytwin")
print(f"{name:5s} citytwin vs SUMO meso: mean travel time ratio {tt:.3f}; "
      f"SUMO meso routing at insertion {wall('meso'):.2f} s / citytwin {ours:.2f} s = {wall('meso') / ours:.1f}x")
best = wall("duarouter") + wall("meso-routed")
print(f"{name:5s} SUMO best setup (duarouter CH {wall('duarouter'):.2f} s + meso on routes "
      f"{wall('meso-routed'):.2f} s): SUMO total / citytwin = {best / ours:.1f}x, "
      f"SUMO sim only / citytwin = {wall('meso-routed') / ours:.1f}x")
PY
}

for name in ${NETWORKS:-grid city}; do
  if [ "$name" = grid ]; then build_grid; trips grid "$GRID_PERIOD"; else build_city; trips city "$CITY_PERIOD"; fi
  citytwin_run "$name"
  sumo_run "$name" meso
  duarouter_run "$name"
  sumo_run "$name" meso-routed
  [ "${SKIP_MICRO:-0}" = 1 ] || sumo_run "$name" micro
  ratio "$name"
done
