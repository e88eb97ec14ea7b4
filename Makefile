# The two entry points: `make demo` and `make test`. Both install everything they need.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# hatch-jupyter-builder and the lint scripts find jlpm and jupyter-builder through PATH.
export PATH := $(abspath $(BIN)):$(PATH)
DEMO := build/demo/wine_fanout-pipeline
EXTRAS := data lab image dask mlflow export s3 test
space := $(subst ,, )
comma := ,
EXT_DIR := $(VENV)/share/jupyter/labextensions/cellops
BUILD_DEPS := hatchling hatch-jupyter-builder hatch-nodejs-version editables "jupyterlab>=4.6,<5" "jupyter-builder>=1.3"

.PHONY: demo test install system-deps airflow lint typecheck bench clean

$(VENV)/.installed: pyproject.toml package.json yarn.lock scripts/dependencies.py
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(BUILD_DEPS)
	# Dependencies first, built as pip builds them for any user: an sdist among them
	# (kfp-server-api has no wheel) gets its own isolated build environment.
	$(PY) scripts/dependencies.py $(EXTRAS) > $(VENV)/dependencies.txt
	$(PY) -m pip install --quiet -r $(VENV)/dependencies.txt
	# cellops itself, editable and without isolation: its JupyterLab extension builds with this
	# virtualenv's jupyterlab (jlpm install + build via hatch-jupyter-builder).
	$(PY) -m pip install --quiet --no-build-isolation -e ".[$(subst $(space),$(comma),$(EXTRAS))]"
	# pip copied the built extension into the virtualenv: its built parts are linked to the
	# source tree's instead, so a later `jlpm build` is what the lab loads (pip's install.json,
	# which tells JupyterLab the package manager, stays).
	for part in package.json static schemas; do \
	  rm -rf $(EXT_DIR)/$$part; ln -s $(abspath src/cellops/labextension)/$$part $(EXT_DIR)/$$part; \
	done
	touch $@

install: $(VENV)/.installed

# Chromium, Docker Engine, buildah, mmdebstrap: what the browser and image tests drive for real.
system-deps:
	scripts/install-system-deps.sh

# Airflow in its own virtualenv (its pins clash with JupyterLab's): the exported DAGs are
# loaded and run by the real `airflow` there.
AIRFLOW_VENV ?= .venv-airflow
$(AIRFLOW_VENV)/.installed: scripts/install-airflow.sh
	scripts/install-airflow.sh $(AIRFLOW_VENV)
	touch $@

airflow: $(AIRFLOW_VENV)/.installed

demo: install
	$(BIN)/cellops promote examples/wine_fanout.ipynb -o $(DEMO)
	$(BIN)/cellops run $(DEMO)
	# the same run again: every stage comes from the cache
	$(BIN)/cellops run $(DEMO)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/jlpm run lint:check

typecheck: install
	$(BIN)/mypy

test: system-deps airflow lint typecheck
	$(BIN)/jlpm test
	$(BIN)/pytest -n 2 --durations=15

bench: install
	# Users run with bytecode caching; a PYTHONDONTWRITEBYTECODE shell would skew CLI timings.
	env -u PYTHONDONTWRITEBYTECODE $(PY) benchmarks/run_all.py

clean:
	rm -rf build $(DEMO) .pytest_cache .mypy_cache .ruff_cache
