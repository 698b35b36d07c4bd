# Two commands for everything: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Offline model files: the shared folder beside a checkout, when there is one.
SHARED ?= $(abspath ../shared)
export MUSEION_MODEL_MIRROR ?= $(if $(wildcard $(SHARED)/models),$(SHARED)/models,)
# The tests' photos, clips and models (tests/conftest.py).
export MUSEION_SHARED ?= $(SHARED)

.PHONY: run test test-databases install dev lint format bench browser webruntime clean messages language

# `make run PORT=8080 HOST=0.0.0.0` listens elsewhere than 127.0.0.1:8000; CERTFILE=... KEYFILE=...
# serve HTTPS (the README's recipe for trying the camera from a phone on the LAN).
SERVE_ARGS = $(strip $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT)) \
	$(if $(CERTFILE),--certfile $(CERTFILE)) $(if $(KEYFILE),--keyfile $(KEYFILE)))
run: $(VENV)/.installed webruntime
	$(BIN)/museion serve $(SERVE_ARGS)

# The services of this machine (see the README's development section). tests/production runs
# museion serve + two workers on each stack; the database-facing suites run again on each database.
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/museion_unit
MARIADB_URL ?= mysql://root@127.0.0.1:3306/museion_unit
DB_SUITES := tests/accounts tests/recognition tests/albums tests/web \
	--ignore=tests/web/test_browser.py --ignore=tests/albums/test_viewer_browser.py

test: $(VENV)/.installed-dev webruntime browser lint
	$(BIN)/pytest
	$(MAKE) --no-print-directory test-databases

test-databases: $(VENV)/.installed-dev
	DATABASE_URL=$(POSTGRES_URL) $(BIN)/pytest -q -p no:cacheprovider --create-db $(DB_SUITES)
	DATABASE_URL=$(MARIADB_URL) $(BIN)/pytest -q -p no:cacheprovider --create-db $(DB_SUITES)

# The browser test drives Debian's chromium (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser test"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium \
		|| echo "WARNING: could not install chromium; the browser test will be skipped"; }

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/inference.py
	$(BIN)/python benchmarks/serve.py

install: $(VENV)/.installed webruntime
dev: $(VENV)/.installed-dev webruntime


# The interface's catalogs (src/museion/locale, committed .po and compiled .mo): `make messages`
# gathers every string of the code (python and templates: django; the JS modules: djangojs) into
# each shipped language's .po, keeping what is translated, then compiles them.
LOCALES := zh_Hans fr de
DJANGO_ADMIN = cd src/museion && $(abspath $(BIN))/django-admin
MAKEMESSAGES = makemessages --settings=museion.web.settings --no-location --no-obsolete
messages: $(VENV)/.installed-dev
	$(DJANGO_ADMIN) $(MAKEMESSAGES) $(addprefix -l ,$(LOCALES)) -i 'migrations/*'
	$(DJANGO_ADMIN) $(MAKEMESSAGES) -d djangojs $(addprefix -l ,$(LOCALES)) -i 'ort/*' -i 'templates/*'
	$(DJANGO_ADMIN) compilemessages --settings=museion.web.settings

# A new language for translators: `make language LANG=es` makes its .po files (see the README).
language: $(VENV)/.installed-dev
	@test "$(origin LANG)" = "command line" || { echo "name the language: make language LANG=es"; exit 2; }
	$(DJANGO_ADMIN) $(MAKEMESSAGES) -l $(LANG) -i 'migrations/*'
	$(DJANGO_ADMIN) $(MAKEMESSAGES) -d djangojs -l $(LANG) -i 'ort/*' -i 'templates/*'
	@echo "now translate src/museion/locale/$(LANG)/LC_MESSAGES/*.po, add $(LANG) to LANGUAGES in"
	@echo "src/museion/web/settings.py and to LOCALES in the Makefile, and run make messages"

# onnxruntime-web for the visitors' page, from npm with package-lock.json; only its WebAssembly
# build (ort.wasm.min.js and the wasm it loads) is served. Without npm the page asks the server.
ORT_STATIC := src/museion/albums/static/museion/ort
ORT_FILES := ort.wasm.min.js ort-wasm-simd-threaded.mjs ort-wasm-simd-threaded.wasm
webruntime: $(ORT_STATIC)/.installed
$(ORT_STATIC)/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1 && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error; then \
		mkdir -p $(ORT_STATIC) && cp $(addprefix node_modules/onnxruntime-web/dist/,$(ORT_FILES)) $(ORT_STATIC)/ \
		&& touch $@; \
	else echo "WARNING: npm is missing or failed: the visitors' page will recognise on the server, not on the phone"; fi

$(BIN)/python:
	@echo "museion: creating the virtual environment $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "museion: installing Museion and its dependencies into $(VENV) (about a minute the first time)"
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	@echo "museion: installing Museion, its dependencies and the test tools into $(VENV) (a minute or two)"
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) node_modules $(ORT_STATIC) build dist src/*.egg-info .pytest_cache .ruff_cache
