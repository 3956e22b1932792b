# Two commands on a fresh machine:
#   make run    — create .venv, install the runtime and notebook extras (locked versions), run the whole study
#   make test   — the same plus the test extras, Debian's Chromium and poppler, then the test suite
# Every other job has a target too (make help), so nothing needs `source .venv/bin/activate`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
BOOKLET ?= data/raw/hit_cio_training_qa.txt
OUT ?= .
# as root, JupyterLab needs --allow-root
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: help run report notebooks lab compare compare-args cache test bench lock clean

help:
	@echo "make run                      set up .venv, run the whole study on BOOKLET (default: the bundled booklet)"
	@echo "make report                   rebuild report.html (stages from the cache)"
	@echo "make notebooks                execute every notebook headless into notebooks_out/"
	@echo "make lab                      open JupyterLab on notebooks/ with the project's kernel (prints the URL)"
	@echo "make compare OLD=a.txt NEW=b.txt   compare two booklets into comparison/"
	@echo "make cache                    show what the result cache holds"
	@echo "make test                     set up the test extras and run the test suite"
	@echo "make bench                    benchmarks (see README)"

# runtime + notebooks: every version from requirements.lock (uv pip compile pyproject.toml --all-extras) used as
# constraints, so only what these extras need is installed (the test stack is not)
$(RUN_STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[notebooks]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(RUN_STAMP)

$(TEST_STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(TEST_STAMP)

run: $(RUN_STAMP)
	$(BIN)/corpus-tools run $(BOOKLET) -o $(OUT)

report: $(RUN_STAMP)
	$(BIN)/corpus-tools report $(BOOKLET) -o $(OUT)

notebooks: $(RUN_STAMP)
	$(BIN)/corpus-tools notebooks --booklet $(BOOKLET) -o notebooks_out

lab: $(RUN_STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks --no-browser --ip=127.0.0.1 $(ROOT_FLAG)

compare: compare-args $(RUN_STAMP)
	$(BIN)/corpus-tools compare $(OLD) $(NEW) -o comparison

compare-args:
	@test -n "$(OLD)" -a -n "$(NEW)" || { echo "usage: make compare OLD=old.txt NEW=new.txt" >&2; exit 2; }

cache: $(RUN_STAMP)
	$(BIN)/corpus-tools cache --info

test: $(TEST_STAMP)
	bash scripts/ensure_chromium.sh
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_parse.py
	$(BIN)/python benchmarks/bench_text_topics.py
	$(BIN)/python benchmarks/bench_tokens.py
	$(BIN)/python benchmarks/bench_stages.py
	$(BIN)/python benchmarks/bench_choose_k.py
	$(BIN)/python benchmarks/bench_figures.py
	$(BIN)/python benchmarks/bench_run.py

# refresh the lock after changing dependencies in pyproject.toml
lock: $(TEST_STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --all-extras --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) data/processed/*.csv data/processed/*.parquet data/processed/networks figures/* report.html \
	       run_manifest.json
