#!/usr/bin/env bash
# A live half hour of the demo city: starts mosquitto with the city's roles (citytwin broker),
# runs the twin live at 60× real time (08:00–08:30 in 30 s), and meanwhile publishes readings of
# the two live sensors as a gateway would and a planner's closure of 人民北路. Reports go to
# out/chengdu/live/ (summary.json `live.`, `quality.feeds`). Needs `make demo` (or an import) first.
set -euo pipefail
cd "$(dirname "$0")/.."
CITYTWIN=${CITYTWIN:-${CARGO_TARGET_DIR:-$HOME/.cache/citytwin/target}/release/citytwin}
SCENE=scenes/chengdu/scene.ron
DIR=out/chengdu/live
PORT=${PORT:-18830}
mkdir -p "$DIR"

# accounts for this demo only; a deployment keeps its users file out of version control
cat > "$DIR/users.txt" <<USERS
twin     viewer   twin-$RANDOM$RANDOM
gateway  operator gw-$RANDOM$RANDOM
planner  planner  plan-$RANDOM$RANDOM
USERS
password() { awk -v u="$1" '$1 == u { print $3 }' "$DIR/users.txt"; }

"$CITYTWIN" broker "$SCENE" --users "$DIR/users.txt" --dir "$DIR/broker" --port "$PORT" --run &
BROKER=$!
trap 'kill -INT $BROKER 2>/dev/null || true; wait $BROKER 2>/dev/null || true' EXIT
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

CITYTWIN_MQTT_PASSWORD=$(password twin) "$CITYTWIN" run "$SCENE" --from 08:00 --to 08:30 \
  --trips 40000 --live "mqtt://twin@127.0.0.1:$PORT" --pace 60 --parquet -o "$DIR/run" \
  2> >(tee "$DIR/twin.log" >&2) &
TWIN=$!
# the twin loads the city, subscribes, and only then starts its clock
for _ in $(seq 600); do grep -q "^live: subscribed" "$DIR/twin.log" 2>/dev/null && break; sleep 0.1; done

# a noise meter (datastream 0) and a PM2.5 microsensor (1) report every simulated minute, as
# the clock passes it (one second of wall time at 60×)
for m in 0 1 2 3 4; do
  printf 'datastream,phenomenon_time,result\n0,08:%02d,%d\n1,08:%02d,%d\n' \
    "$m" $((62 + m)) "$m" $((140 + 5 * m)) > "$DIR/readings.csv"
  CITYTWIN_MQTT_PASSWORD=$(password gateway) "$CITYTWIN" -q feed "$SCENE" \
    --broker "mqtt://gateway@127.0.0.1:$PORT" --csv "$DIR/readings.csv"
  sleep 1
done
mosquitto_pub -h 127.0.0.1 -p "$PORT" -u planner -P "$(password planner)" -q 1 \
  -t citytwin/chengdu/control/scenario -m 'Incident(road: Name("人民北路"), at: "08:15", minutes: 10)'

wait $TWIN
echo "live demo: $DIR/run/summary.json (live., quality.feeds), vitals.parquet; docs/live.md"
