# AuraOS backend: one entry point. `make run` = local stack + chat; `make test` = everything CI runs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
FN_VENV := functions/venv
PY := $(VENV)/bin/python
# torch (when a package pulls it) must come from the CPU build, never a multi-GB CUDA download.
PIP_INSTALL := pip install --disable-pip-version-check -q
LINT_PATHS := shared functions/main.py functions/auraos_functions ai_service tools tests bench

.PHONY: setup chromium run chat test lint unit integration lock clean

setup: $(VENV)/.installed $(FN_VENV)/.installed web/node_modules/.package-lock.json chromium ## install everything (emulators/setup.sh: npm, Java, SDK binaries)
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

run: setup ## the main job: emulators + ai_service + seeded demo user; then `make chat`
	bash emulators/start.sh

chat: ## the terminal chat client against the running local stack
	$(PY) -m tools.chat_cli

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/mypy

unit: $(VENV)/.installed
	$(VENV)/bin/pytest tests/unit

integration: setup
	bash emulators/exec.sh "$(VENV)/bin/pytest tests/integration tests/rules && npm --prefix web run test:e2e && npm --prefix web run lighthouse"

test: setup lint unit integration ## everything CI runs

lock: ## recompile the pinned requirement files from the .in files
	cd functions && ../$(VENV)/bin/pip-compile -q --strip-extras --no-header --allow-unsafe --no-emit-index-url --no-emit-find-links requirements.in -o requirements.txt
	cd ai_service && ../$(VENV)/bin/pip-compile -q --strip-extras --no-header --allow-unsafe --no-emit-index-url --no-emit-find-links requirements.in -o requirements.txt
	$(VENV)/bin/pip-compile -q --strip-extras --no-header --allow-unsafe --no-emit-index-url --no-emit-find-links requirements.in -o requirements.txt

clean:
	rm -rf $(VENV) $(FN_VENV) node_modules .emulators functions/shared web/node_modules web/dist web/test-results web/lighthouse-results.json
