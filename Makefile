# Two commands do all the set-up on a fresh Debian or Raspberry Pi OS machine:
#   make demo   # broker, queue service, a board, the visitors' page, simulated visitors and staff
#   make test   # the whole test suite
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the tests use: the broker, the Indonesian voice, audio tools, a virtual screen,
# headless Chromium for the visitors' page, systemd-analyze for the unit files.
APT_TEST := mosquitto mosquitto-clients espeak-ng sox xvfb chromium fonts-dejavu-core fonts-dejavu-extra systemd imagemagick shellcheck openssl
APT_DEMO := mosquitto mosquitto-clients espeak-ng sox fonts-dejavu-core fonts-dejavu-extra
PYTEST_ARGS ?=

.PHONY: demo test lint-imports venv apt-test apt-demo bench clean wheelhouse offline-check arm64

$(VENV)/.installed: pyproject.toml
	@command -v python3 >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3; }
	@python3 -m venv $(VENV) 2>/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv python3-pip && rm -rf $(VENV) && python3 -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

# Install only what is missing, so a ready machine (or a Pi without network) is not slowed down.
define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi
endef

apt-test:
	$(call apt_install,$(APT_TEST))

apt-demo:
	$(call apt_install,$(APT_DEMO))

# The layering contract ([tool.importlinter] in pyproject.toml) first: a second, not a suite run.
test: apt-test venv
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint-imports: venv
	$(VENV)/bin/lint-imports --no-cache

# A building without internet (docs/deploy.md): the dependencies and what pip needs to build
# the checkout (setuptools, wheel), for `PIP_NO_INDEX=1 PIP_FIND_LINKS=$(WHEELS) install-pi`.
# Made on a machine of the Pis' kind (aarch64, the same Python) with the internet.
WHEELS ?= wheels
WHEELHOUSE_EXTRAS ?= [pi]
wheelhouse: venv
	$(PY) -m pip download --disable-pip-version-check -q -d $(WHEELS) '.$(WHEELHOUSE_EXTRAS)' 'setuptools>=68' wheel

# The offline recipe, run for real (~1 min of pip; CI runs it after `make test`).
offline-check: venv
	ANTRIAN_OFFLINE_CHECK=1 $(PY) -m pytest -q tests/deploy/test_deploy_install.py -k offline_recipe

DEMO_SECONDS ?= 0
demo: apt-demo venv
	$(PY) scripts/demo.py --seconds $(DEMO_SECONDS)

# The Pi's architecture, emulated: an arm64 Debian root (debootstrap + qemu-user-static) with the
# project installed from its own files, its display and hardware tests, a board screenshot, the
# KMSDRM check and the board's memory (docs/arm64.md). Cold ~28 min, warm ~12 min: run it
# nightly or before a release, not on every push.
arm64:
	$(SUDO) nice -n 15 scripts/arm64-proof

bench: apt-test venv
	$(call apt_install,wrk)
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) var out tests/artifacts .pytest_cache .import_linter_cache .grimp_cache
