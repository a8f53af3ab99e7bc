# citytwin — the two commands of the README, and a few helpers.
# Builds share one persistent target directory so repeated runs are incremental.
CARGO_TARGET_DIR ?= $(HOME)/.cache/citytwin/target
export CARGO_TARGET_DIR
CITYTWIN := $(CARGO_TARGET_DIR)/release/citytwin
BUNDLE := out/chengdu/city.ctb

.PHONY: demo test setup bench live-demo

## demo: install system packages, build, import the Chengdu demo, summarise and export it, simulate a day, snapshot the wall, compare a what-if
demo: setup
	cargo build --release -p citytwin
	$(CITYTWIN) import --scene scenes/chengdu/scene.ron
	$(CITYTWIN) info $(BUNDLE)
	$(CITYTWIN) export $(BUNDLE) -o out/chengdu/city.gpkg
	$(CITYTWIN) run scenes/chengdu/scene.ron --seed 1 -o out/chengdu/day
	$(CITYTWIN) snapshot scenes/chengdu/scene.ron --at 08:00 --wall -o out/chengdu/wall_0800.png
	$(CITYTWIN) compare scenes/chengdu/scene.ron scenes/chengdu/scenarios/renmin_north_metro_works.ron --seeds 5 --from 06:00 --to 10:00 -o out/chengdu/compare_renmin_north
	@echo "demo: open out/chengdu/city.gpkg in QGIS; the simulated day's reports are in out/chengdu/day/;"
	@echo "      what-if: out/chengdu/compare_renmin_north/report.html (docs/scenarios.md);"
	@echo "      the wall display: $(CITYTWIN) view scenes/chengdu/scene.ron (needs a display; see docs/viewer.md)"

## live-demo: the demo city live for half an hour: mosquitto with roles, the twin at 60×, a gateway's readings and a planner's edit over MQTT
live-demo: setup
	cargo build --release -p citytwin
	bash scripts/live-demo.sh

## test: the whole suite — fmt, clippy -D warnings, every test, the core dependency check
test: setup
	bash scripts/test.sh

setup:
	bash scripts/setup.sh

## bench: criterion benchmarks (figures go to docs/benchmarks.md)
bench: setup
	cargo bench --workspace
