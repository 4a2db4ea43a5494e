# citytwin: two commands do all the setup.
#   make demo   emulated edge nodes on recorded video, the pipeline, the cockpit
#   make test   the test suite against live Mosquitto and Kafka
# Every target installs what it needs and is safe to run again.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help setup venv fixtures brokers-deps frost-deps browser-deps lint-deps models-verify test demo stop status typecheck lock models clean bench bench-twin bench-ingest bench-mqtt-clients bench-city metrics-deps web-deps bench-map edge-arm64

help:
	@echo "make demo        start the brokers and whatever part of the pipeline exists, print where to look"
	@echo "make test        install everything needed, then run the test suite"
	@echo "make stop        stop the brokers started by 'make demo'"
	@echo "make status      show whether the brokers are running"
	@echo "make typecheck   mypy over citytwin/, edge/, cloud/ and hardware/"
	@echo "make bench       full benchmark matrix on this machine into hardware/results/\$$BENCH_DEVICE [ci-x86], then the report"
	@echo "make bench-map   the map with a generated 1,000-camera city in Chromium: first render, ms per live update, heap (CAMERAS=, MINUTES=, PROFILE=1)"
	@echo "make bench-twin  open time, RSS and query latency of the twin over 10M synthetic events (EVENTS=100000000 for 100M),"
	@echo "                 then history windows over a year of rollups of 1,000 cameras (ONLY=lake or ONLY=history for one part)"
	@echo "make bench-ingest  events/s and publish-to-file latency through the bridge and the sink (own brokers)"
	@echo "make bench-city  1,000 emulated cameras through the authenticated pipeline with rules and cockpit (DURATION=600 s)"
	@echo "make bench-mqtt-clients  events per CPU-second of the bridge on its own MQTT client, paho-mqtt and gmqtt"
	@echo "make edge-arm64  install-edge.sh in an emulated arm64 Debian (qemu-user-static), replay 30 frames; results marked emulated (slow)"
	@echo "make models      rebuild the ONNX models from their upstream packages (needs TensorFlow; slow)"
	@echo "make lock        refresh constraints.txt from a fresh resolve of pyproject.toml"

setup: venv fixtures brokers-deps frost-deps browser-deps models-verify web-deps

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or newer" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "citytwin needs Python >= 3.11; $(PYTHON) is $$($(PYTHON) --version)" >&2; exit 1; }
	@echo "venv: installing citytwin and its pinned dependencies into $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[edge,cloud,dev]'
	@touch $@

fixtures:
	@tests/fixtures/fetch.sh

# $(call debian,PACKAGE,PROGRAM): install a Debian package unless its program is already there (sudo unless root).
define debian
	@test -x $(2) || { export DEBIAN_FRONTEND=noninteractive; sudo=$$(test "$$(id -u)" = 0 || echo sudo); \
	    $$sudo apt-get install -y -q $(1) || { $$sudo apt-get update -q && $$sudo apt-get install -y -q $(1); }; }
endef

# Debian's chromium for the cockpit's browser test (Playwright cannot download browsers here).
browser-deps:
	$(call debian,chromium,/usr/bin/chromium)

# shellcheck lints the provisioning script in the test suite.
# MapLibre GL JS and the PMTiles reader for the screens' map, from the npm registry, pinned and checked (ops/web/).
web-deps:
	@ops/web/maplibre.sh
	@ops/web/pmtiles.sh

lint-deps:
	$(call debian,shellcheck,/usr/bin/shellcheck)

# Debian's prometheus scrapes the running services in the metrics test.
metrics-deps:
	$(call debian,prometheus,/usr/bin/prometheus)

brokers-deps:
	@ops/brokers/mosquitto.sh install
	@ops/brokers/kafka.sh fetch

# FROST-Server for the SensorThings exporter's tests: Debian's Tomcat 10, PostgreSQL 15 + PostGIS, and the war
# rebuilt with Maven from the FROST jars on Maven Central (cached in ~/.cache/citytwin/frost).
frost-deps:
	@ops/frost/frost.sh install
	@ops/frost/frost.sh build

models-verify: venv
	@$(BIN)/python models/convert/verify.py

test: setup lint-deps metrics-deps typecheck
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: setup
	@ops/demo/run.sh

stop:
	@ops/demo/stop.sh

status:
	@ops/brokers/brokers.sh status

typecheck: venv
	$(BIN)/mypy

# The edge path on this machine, every matrix point; results are kept in the repository.
BENCH_DEVICE ?= ci-x86
BENCH_ARGS ?=
bench: venv fixtures models-verify brokers-deps
	@ops/brokers/brokers.sh start
	$(BIN)/citytwin bench --device $(BENCH_DEVICE) --mqtt 127.0.0.1:$${CITYTWIN_MQTT_PORT:-1883} \
	    --kafka 127.0.0.1:$${CITYTWIN_KAFKA_PORT:-9092} $(BENCH_ARGS)
	$(BIN)/citytwin bench report

models:
	models/convert/rebuild.sh

lock:
	rm -rf /tmp/citytwin-lock && $(PYTHON) -m venv /tmp/citytwin-lock
	/tmp/citytwin-lock/bin/pip install -q --upgrade pip
	/tmp/citytwin-lock/bin/pip install -q '.[edge,cloud,dev]'
	{ echo "# Exact versions the project is tested with. make venv installs with -c constraints.txt."; \
	  echo "# Regenerate after changing pyproject.toml: make lock"; \
	  /tmp/citytwin-lock/bin/pip freeze --exclude citytwin; } > constraints.txt

clean:
	-ops/brokers/brokers.sh stop
	rm -rf .run .pytest_cache .mypy_cache test-artifacts

# The cockpit's map with a generated city of cameras in Chromium: first render, main-thread ms per live update, JS heap.
bench-map: venv web-deps browser-deps
	$(BIN)/python -m cloud.bench.map_screen --cameras $(or $(CAMERAS),1000) --minutes $(or $(MINUTES),3) $(if $(PROFILE),--profile)

bench-twin: venv
	$(BIN)/python -m cloud.twin.bench $(if $(EVENTS),--events $(EVENTS)) $(if $(ONLY),--only $(ONLY))

# Sustained events/s through bridge and sink, and p50/p95 publish -> file visible, on this machine.
bench-ingest: venv brokers-deps
	$(BIN)/python -m cloud.bench.ingest

# A city of emulated cameras through Mosquitto -> bridge -> Kafka -> sink, with the rules and the cockpit (own brokers).
DURATION ?= 600
bench-city: venv brokers-deps
	$(BIN)/python -m cloud.bench.city --duration $(DURATION)

# The bridge's receive path on each MQTT client, one process and a shared subscription over two (own brokers).
MQTT_BENCH_ARGS ?=
bench-mqtt-clients: venv brokers-deps
	$(BIN)/python -m cloud.bench.mqtt_clients $(MQTT_BENCH_ARGS)

# install-edge.sh in an arm64 Debian root (debootstrap, cached) under qemu-user-static, then 30 frames replayed
# through the installed node; the figures are the emulator's. Slow, needs root and network; not part of `make test`.
# REPLAY_ONLY=1 make edge-arm64 replays again with the node already installed.
ARM64_DEVICE := raspberry-pi-5-qemu
edge-arm64:
	$(call debian,debootstrap,/usr/sbin/debootstrap)
	$(call debian,qemu-user-static,/usr/bin/qemu-aarch64-static)
	@mkdir -p hardware/results/$(ARM64_DEVICE)
	set -o pipefail; DEVICE=$(ARM64_DEVICE) hardware/provisioning/emulate-arm64.sh 2>&1 | tee hardware/results/$(ARM64_DEVICE)/emulate-arm64.log
