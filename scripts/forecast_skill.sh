#!/usr/bin/env bash
# Forecast skill on the calibrated demo day (docs/forecast.md): a forecast from 08:00, 60 min
# ahead, made on seed S and scored against seed S+1, for S = 1..3; then the same against a
# crash the forecaster was not told of. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/citytwin/target}"
BIN="$CARGO_TARGET_DIR/release/citytwin"
SCENE=scenes/chengdu/scene.ron
OUT="${OUT:-out/forecast_skill}"
row() {
  python3 - "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1] + "/forecast.json"))
s = j["skill"]
cells = []
for step in s["steps"]:
    cells.append(f'{step["speed_mae_kmh"]:.2f} / {step["persistence_speed_mae_kmh"]:.2f}')
p = s["alarm_precision"]; r = s["alarm_recall"]
print(f'| {sys.argv[2]} | ' + " | ".join(cells) + f' | {p:.2f} / {r:.2f} | {j["seconds"]:.2f} |')
PY
}
echo "| truth | +15 min | +30 min | +45 min | +60 min | cases precision / recall | forecast s |"
echo "|---|---|---|---|---|---|---|"
for s in 1 2 3; do
  "$BIN" -q forecast "$SCENE" --at 08:00 --horizon 60 --seed "$s" --truth-seed $((s + 1)) -o "$OUT/seed$s"
  row "$OUT/seed$s" "seed $((s + 1)) (forecast from seed $s)"
done
"$BIN" -q forecast "$SCENE" --at 08:00 --horizon 60 --seed 1 --truth-seed 2 \
  --truth-scenario scenes/chengdu/scenarios/morning_crash_renmin_north.ron -o "$OUT/crash"
row "$OUT/crash" "seed 2 + a crash on Renmin North Rd at 08:10 (forecast from seed 1)"

# The nowcast (docs/forecast.md): the truth's loop detectors over 07:30–08:00 against the
# model's; flow MAE in veh/h as forecast with nowcast / without / persistence, and speed MAE at
# +60 min likewise. On an ordinary day (another seed) and on a morning 20% busier than the
# model's (scenes/chengdu/scenarios/busier_morning.ron).
nowcast_row() {
  python3 - "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1] + "/forecast.json"))
steps = j["skill"]["steps"]
cells = [f'{s["flow_mae_vph"]:.0f} / {s["without_nowcast_flow_mae_vph"]:.0f} / {s["persistence_flow_mae_vph"]:.0f}' for s in steps]
last = steps[-1]
speed = f'{last["speed_mae_kmh"]:.2f} / {last["without_nowcast_speed_mae_kmh"]:.2f} / {last["persistence_speed_mae_kmh"]:.2f}'
print(f'| {sys.argv[2]} | {j["nowcast"]["factor"]:.3f} | ' + " | ".join(cells) + f' | {speed} |')
PY
}
echo
echo "| truth | nowcast factor | flow +15 | flow +30 | flow +45 | flow +60 | speed +60 |"
echo "|---|---|---|---|---|---|---|"
for s in 1 2 3; do
  nowcast_row "$OUT/seed$s" "seed $((s + 1)) (forecast from seed $s)"
done
for s in 1 2 3; do
  "$BIN" -q forecast "$SCENE" --at 08:00 --horizon 60 --seed "$s" --truth-seed $((s + 1)) \
    --truth-scenario scenes/chengdu/scenarios/busier_morning.ron -o "$OUT/busier$s"
  nowcast_row "$OUT/busier$s" "seed $((s + 1)), 20% more trips from 06:00 (from seed $s)"
done
