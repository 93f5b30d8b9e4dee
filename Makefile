# AuraOS backend: one entry point. `make run` = local stack + chat; `make test` = everything CI runs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
FN_VENV := functions/venv
PY := $(VENV)/bin/python
# torch (when a package pulls it) must come from the CPU build, never a multi-GB CUDA download.
PIP_INSTALL := pip install --disable-pip-version-check -q
LINT_PATHS := shared functions/main.py functions/auraos_functions ai_service tools tests bench
# `make test` measures coverage (pyproject.toml [tool.coverage.*]): with AURAOS_COVERAGE=1 every
# Python process of the unit run and of emulators/exec.sh (the integration pytest, ai_service's
# gunicorn, the Functions emulator's workers) starts coverage through the .pth of the coverage
# wheel, and `make coverage` combines and reports. `make run` and the deployed code never see it.
COVERAGE_DIR := .emulators/coverage
COVERAGE_ENV = $(if $(filter 1,$(AURAOS_COVERAGE)),COVERAGE_PROCESS_START=$(CURDIR)/pyproject.toml AURAOS_COVERAGE_ROOT=$(CURDIR))

.PHONY: setup chromium container-engine run chat ai-service image image-test habits test lint unit integration coverage coverage-erase lock clean

setup: $(VENV)/.installed $(FN_VENV)/.installed web/node_modules/.package-lock.json chromium container-engine ## install everything (emulators/setup.sh: npm, Java, SDK binaries)
	bash emulators/setup.sh
	bash emulators/sync_shared.sh
	bash emulators/build_web.sh

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	npm --prefix web ci --ignore-scripts --no-audit --no-fund --loglevel=error

# The browser tests drive Debian's Chromium (a test tool's own browser download cannot work offline).
chromium:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# The image test needs a container engine: a docker daemon, else podman, installed from Debian
# (with runc and debootstrap for a local base image) when neither is there and we are root.
container-engine:
	@if command -v docker >/dev/null && docker info >/dev/null 2>&1; then :; \
	elif command -v podman >/dev/null && command -v runc >/dev/null && command -v debootstrap >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap; \
	else echo "[setup] no container engine (docker daemon or podman) and not root: the image test will be skipped"; fi

$(VENV)/.installed: requirements.txt functions/requirements.txt ai_service/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m $(PIP_INSTALL) --upgrade pip
	$(PY) -m $(PIP_INSTALL) -r requirements.txt
	$(PY) -m $(PIP_INSTALL) --no-deps -e .
	touch $@

$(FN_VENV)/.installed: functions/requirements.txt
	test -x $(FN_VENV)/bin/python || $(PYTHON) -m venv $(FN_VENV)
	$(FN_VENV)/bin/python -m $(PIP_INSTALL) --upgrade pip
	$(FN_VENV)/bin/python -m $(PIP_INSTALL) -r functions/requirements.txt
	touch $@

# coverage in the functions venv for the tests only (functions/requirements.txt is what deploys),
# at the dev pin, so the emulator's workers can be measured.
$(FN_VENV)/.coverage-installed: requirements.txt $(FN_VENV)/.installed
	$(FN_VENV)/bin/python -m $(PIP_INSTALL) "$$(grep -m1 '^coverage==' requirements.txt)"
	touch $@

run: setup ## the main job: emulators + ai_service + seeded demo user; then `make chat`
	bash emulators/start.sh

chat: ## the terminal chat client against the running local stack (ARGS='-m "hi"' sends and exits)
	$(PY) -m tools.chat_cli $(ARGS)

.PHONY: conversations
conversations: ## the conversation stories (tests/conversations) against the running local stack (ARGS='FILE --junit out.xml')
	$(PY) -m tools.conversations $(ARGS)

ai-service: ## ai_service attached to emulators started elsewhere (`npx firebase emulators:start`)
	bash emulators/ai_service.sh --seed --foreground

image: container-engine ## the ai_service image (docker or podman; a local debootstrap base offline)
	@if bash -c '. container/engine.sh' 2>/dev/null; then bash container/build.sh; \
	else echo "[image] skipped: no container engine (a docker daemon or podman)"; fi

image-test: image setup ## build the image and run it as Cloud Run would, against fresh emulators
	bash emulators/exec.sh "$(VENV)/bin/pytest tests/integration/image"

# The Firebase developer's own commands (`firebase emulators:start` + `make ai-service` + chat,
# `firebase emulators:exec`), each on its own emulators after the suite's have stopped.
habits: setup
	$(VENV)/bin/pytest tests/habits

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/mypy

unit: $(VENV)/.installed
	$(COVERAGE_ENV) $(VENV)/bin/pytest tests/unit

# AURAOS_COVERAGE reaches emulators/exec.sh through the environment (exported by `make test`).
integration: setup
	bash emulators/exec.sh "$(VENV)/bin/pytest tests/integration tests/rules && npm --prefix web run test:unit && npm --prefix web run test:e2e && npm --prefix web run lighthouse"

# The floor (fail_under) and what is measured are in pyproject.toml; tests/habits, the image's own
# ai_service (a container) and the bench scripts are not measured.
test: export AURAOS_COVERAGE := 1
test: setup $(FN_VENV)/.coverage-installed coverage-erase lint unit image integration habits ## everything CI runs, with coverage
	$(MAKE) --no-print-directory coverage

coverage-erase: $(VENV)/.installed
	mkdir -p $(COVERAGE_DIR)
	$(PY) -m coverage erase

coverage: $(VENV)/.installed ## combine the data of `make test` (or AURAOS_COVERAGE=1 make unit ...), print the report and the per-package table; fails below the floor
	$(PY) -m coverage combine --quiet
	$(PY) -m coverage json --quiet --fail-under=0 -o $(COVERAGE_DIR)/coverage.json
	$(PY) -m coverage report; rc=$$?; $(PY) -m tools.coverage_report $(COVERAGE_DIR)/coverage.json && exit $$rc

lock: ## recompile the pinned requirement files from the .in files
	cd functions && ../$(VENV)/bin/pip-compile -q --strip-extras --no-header --allow-unsafe --no-emit-index-url --no-emit-find-links requirements.in -o requirements.txt
	cd ai_service && ../$(VENV)/bin/pip-compile -q --strip-extras --no-header --allow-unsafe --no-emit-index-url --no-emit-find-links requirements.in -o requirements.txt
	$(VENV)/bin/pip-compile -q --strip-extras --no-header --allow-unsafe --no-emit-index-url --no-emit-find-links requirements.in -o requirements.txt

clean:
	rm -rf $(VENV) $(FN_VENV) node_modules .emulators functions/shared web/node_modules web/dist web/test-results web/lighthouse-results.json
