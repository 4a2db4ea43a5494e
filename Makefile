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

.PHONY: help setup venv fixtures brokers-deps browser-deps lint-deps models-verify test demo stop status typecheck lock models clean bench bench-twin bench-ingest bench-mqtt-clients edge-arm64

help:
	@echo "make demo        start the brokers and whatever part of the pipeline exists, print where to look"
	@echo "make test        install everything needed, then run the test suite"
	@echo "make stop        stop the brokers started by 'make demo'"
	@echo "make status      show whether the brokers are running"
	@echo "make typecheck   mypy over citytwin/, edge/, cloud/ and hardware/"
	@echo "make bench       full benchmark matrix on this machine into hardware/results/\$$BENCH_DEVICE [ci-x86], then the report"
	@echo "make bench-twin  open time, RSS and query latency of the twin over 10M synthetic events (EVENTS=100000000 for 100M)"
	@echo "make bench-ingest  events/s and publish-to-file latency through the bridge and the sink (own brokers)"
	@echo "make bench-mqtt-clients  events per CPU-second of the bridge on its own MQTT client, paho-mqtt and gmqtt"
	@echo "make edge-arm64  install-edge.sh in an emulated arm64 Debian (qemu-user-static), replay 30 frames; results marked emulated (slow)"
	@echo "make models      rebuild the ONNX models from their upstream packages (needs TensorFlow; slow)"
	@echo "make lock        refresh constraints.txt from a fresh resolve of pyproject.toml"

setup: venv fixtures brokers-deps browser-deps models-verify

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
lint-deps:
	$(call debian,shellcheck,/usr/bin/shellcheck)

brokers-deps:
	@ops/brokers/mosquitto.sh install
	@ops/brokers/kafka.sh fetch

models-verify: venv
	@$(BIN)/python models/convert/verify.py

test: setup lint-deps typecheck
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

bench-twin: venv
	$(BIN)/python -m cloud.twin.bench $(if $(EVENTS),--events $(EVENTS))

# Sustained events/s through bridge and sink, and p50/p95 publish -> file visible, on this machine.
bench-ingest: venv brokers-deps
	$(BIN)/python -m cloud.bench.ingest

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
