# Two commands on a fresh machine:
#   make run    — create .venv, install (locked versions), run the whole study on the bundled booklet
#   make test   — create .venv, install with the test extras, Chromium and poppler, run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench notebooks lock clean

# every dependency at the version in requirements.lock (uv pip compile pyproject.toml --all-extras), then the
# package itself without resolving again
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/corpus-tools run

test: $(STAMP)
	bash scripts/ensure_chromium.sh
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

notebooks: $(STAMP)
	$(BIN)/corpus-tools notebooks -o notebooks_out

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_parse.py
	$(BIN)/python benchmarks/bench_text_topics.py
	$(BIN)/python benchmarks/bench_tokens.py
	$(BIN)/python benchmarks/bench_stages.py
	$(BIN)/python benchmarks/bench_choose_k.py
	$(BIN)/python benchmarks/bench_run.py

# refresh the lock after changing dependencies in pyproject.toml
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --all-extras --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) data/processed/*.csv data/processed/*.parquet data/processed/networks figures/* report.html \
	       run_manifest.json
