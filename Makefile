# Two commands set everything up: `make demo` and `make test`. Each creates .venv if missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast lint dev simulate bench soak fuzz clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m pipelines.demo

# Four workers (pytest-xdist) on two cores: the long e2e tests mostly wait (cron minutes, child
# processes, a browser), so the other workers' tests fill that time; an idle worker steals
# queued tests from a busy one, so the long tests do not pile up at the end. JOBS=1: in turn.
test: $(STAMP)
	$(BIN)/python -m pytest -n $(or $(JOBS),4) --dist worksteal

# Unit and integration tests without the slow, browser and child-process ones: about a minute.
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit tests/integration -m "not slow and not browser and not subprocess"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

simulate: $(STAMP)
	$(BIN)/availability simulate --port 8765

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all

# Hostile answers (issue 14): the property test with many random examples, bounded to 20 min;
# prints what the hostile scope came back as. `make test` runs the same test with 12 fixed ones.
fuzz: $(STAMP)
	HOSTILE_EXAMPLES=$(or $(EXAMPLES),500) HOSTILE_REPORT=1 timeout 1200 \
		$(BIN)/python -m pytest tests/integration/test_hostile_properties.py -q -s -p no:cacheprovider

soak: $(STAMP)
	$(BIN)/python scripts/soak.py --minutes $(or $(MINUTES),10)

dev: $(STAMP)
	$(BIN)/python -m pipelines.dev

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
