# Two commands on a fresh machine:
#   make run    — create .venv, install, run the whole study on the bundled booklet
#   make test   — create .venv, install with test extras, run the test suite (notebooks included)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench notebooks clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/corpus-tools run

test: $(STAMP)
	bash scripts/ensure_chromium.sh
	$(BIN)/python -m pytest -q

notebooks: $(STAMP)
	$(BIN)/corpus-tools notebooks -o notebooks_out

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_parse.py
	$(BIN)/python benchmarks/bench_text_topics.py
	$(BIN)/python benchmarks/bench_run.py

clean:
	rm -rf $(VENV) data/processed/*.csv data/processed/*.parquet figures/* run_manifest.json
