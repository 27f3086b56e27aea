# The targets are the commands in the README. `make run` and `make test`
# work on a fresh machine with Python 3.11+ and make, nothing else.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast bench sample lint clean browser

run: $(STAMP)
	$(BIN)/paperfeed demo

# The virtual environment is rebuilt only when the declared dependencies change,
# so a second `make run` starts in seconds.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "paperfeed needs Python 3.11 or newer; set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Debian's Chromium for the browser tests (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)); \
	  else echo "chromium is not installed: the browser tests will be skipped (apt-get install chromium)"; fi; }

test: $(STAMP) browser
	$(BIN)/python -m pytest -m "not slow" -n auto --dist loadfile $(PYTEST_ARGS)

# The slow, large-scale checks, then the speed benchmarks (results into docs/benchmarks.md).
BENCH_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
bench: $(STAMP)
	$(BIN)/python -m pytest -m slow tests $(PYTEST_ARGS)
	$(BIN)/python bench/ingest.py --write-doc
	$(BIN)/python bench/ingest.py --database-url $(BENCH_POSTGRES_URL) --write-doc
	$(BIN)/python bench/pages.py --requests 500 --write-doc
	$(BIN)/python bench/quality.py --write-doc
	$(BIN)/python bench/search_speed.py --write-doc
	$(BIN)/python bench/parse_speed.py --write-doc
	$(BIN)/python bench/digest_speed.py --write-doc
	$(BIN)/python bench/page_cache_memory.py --write-doc
	@if command -v wrk >/dev/null 2>&1 && (command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx); then \
	  $(BIN)/python bench/load.py --write-doc && $(BIN)/python bench/pg_search.py --write-doc; \
	else echo "bench/load.py skipped: it needs Debian's nginx and wrk (apt-get install nginx-light wrk)"; fi
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]'
	$(BIN)/python bench/pgvector_search.py --write-doc
	$(BIN)/python bench/api_contract.py --write-doc
	$(BIN)/python bench/memory.py --seconds 600 --write-doc
	$(BIN)/python bench/relevance_floor.py --write-doc
	@if ls bench/results/gpu/part*/v/ids.json >/dev/null 2>&1; then \
	  $(BIN)/python bench/search_speed_large.py --scale 264k --write-doc && \
	  $(BIN)/python bench/search_speed_large.py --scale 1m --write-doc; \
	else echo "bench/search_speed_large.py skipped: it needs every corpus paper's vector, made on a GPU by" \
	  "bench/gpu_embed.py --vectors-out bench/results/gpu/partN/v (see docs/benchmarks.md)"; fi

# Copies the demo sample from ../shared/data into the package (see scripts/bundle_sample.py).
sample:
	$(PYTHON) scripts/bundle_sample.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
