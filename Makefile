# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck unit bench bench-api bench-words bench-notify bench-import bench-outage bench-replay bench-latency bench-scale bench-toxicity bench-quality clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("commentsvc needs Python 3.11 or newer" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

## run: install and start everything on 127.0.0.1:8080 (SQLite + embedded Redis + Maildir)
run: $(STAMP)
	$(VENV)/bin/commentsvc serve

## test: install, lint, type-check and run the whole suite
test: $(STAMP) lint typecheck unit

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Test files run on TEST_WORKERS processes (one a core here); each has its own
# redis-server and PostgreSQL database, and a file's tests stay on one process.
TEST_WORKERS ?= 2

unit: $(STAMP)
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile

## bench: the HTTP read/post benchmark against the embedded default
bench: bench-api

bench-api: $(STAMP)
	$(PY) benchmarks/api_load.py

bench-quality: $(STAMP)
	$(PY) benchmarks/moderation_quality.py

bench-words: $(STAMP)
	$(PY) benchmarks/words.py

bench-notify: $(STAMP)
	$(PY) benchmarks/notify.py

## bench-toxicity: what the toxicity model holds of the held-out corpora, and its speed
bench-toxicity: $(STAMP)
	$(PY) benchmarks/toxicity.py

## bench-outage: POSTs through a Redis outage (its own redis-server), a killed worker's jobs
bench-outage: $(STAMP)
	$(PY) benchmarks/redis_outage.py

## bench-import: a generated 200,000-comment WXR through `commentsvc import` (SQLite; PostgreSQL with PG=url)
bench-import: $(STAMP)
	$(PY) benchmarks/import_wxr.py $(if $(PG),--postgres $(PG))

## bench-replay: "what if" of a rule change over 10,000 comments of one site (target < 2 s)
bench-replay: $(STAMP)
	$(PY) benchmarks/replay.py

## bench-latency: post→decision latency at 50 and 500 posts/s and after a burst (PostgreSQL split with PG=url)
bench-latency: $(STAMP)
	$(PY) benchmarks/decision_latency.py $(if $(PG),--database-url $(PG))

## bench-scale: POST with 1 and 2 API processes, backlog drained by 1 and 2 workers (needs PG=url of a database kept for benchmarks)
bench-scale: $(STAMP)
	$(PY) benchmarks/scale_out.py --database-url $(or $(PG),$(error set PG=postgresql://…))

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
