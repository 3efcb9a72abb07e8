# Two commands from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test install data bench lint clean notebooks docs typecheck

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "disparity needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The suite also needs the spark extra: tests/scale/test_scale_spark.py checks the engine code on
# a local Spark session (and Java 17), and CI fails rather than skips it (DISPARITY_REQUIRE_SPARK).
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	touch $(TEST_STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m disparity.cli demo

# mypy on disparity/ ([tool.mypy] in pyproject.toml), with zero errors; its cache lives in the venv
# (a repeated run re-checks only changed modules; `make clean` drops it with the venv)
MYPY := $(BIN)/python -m mypy --cache-dir $(VENV)/mypy_cache

test: $(TEST_STAMP)
	$(BIN)/python -m ruff check disparity tests data benchmarks analyses
	$(MYPY)
	$(BIN)/python -m pytest -q

typecheck: $(STAMP)
	$(MYPY)

lint: $(STAMP)
	$(BIN)/python -m ruff check disparity tests data benchmarks analyses

data: $(STAMP)
	$(BIN)/python data/make_data.py

docs: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	PYTHON=$(BIN)/python docs/build.sh

notebooks: $(STAMP)
	$(BIN)/python analyses/make_notebooks.py

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench,scale,spark]"
	$(BIN)/python benchmarks/bench_io.py
	$(BIN)/python benchmarks/bench_ols_accuracy.py
	$(BIN)/python benchmarks/bench_models.py
	$(BIN)/python benchmarks/bench_absorb.py
	$(BIN)/python benchmarks/bench_wild.py
	$(BIN)/python benchmarks/bench_measures.py
	$(BIN)/python benchmarks/bench_survey.py
	$(BIN)/python benchmarks/bench_did.py
	$(BIN)/python benchmarks/bench_decomp.py
	$(BIN)/python benchmarks/bench_spending.py
	$(BIN)/python benchmarks/bench_results.py
	$(BIN)/python benchmarks/bench_regions.py
	$(BIN)/python benchmarks/bench_benefits.py
	$(BIN)/python benchmarks/bench_reports.py
	$(BIN)/python benchmarks/bench_scale.py
	$(BIN)/python benchmarks/bench_scale.py --rows 1e7 --spark
	$(BIN)/python benchmarks/bench_versions.py
	$(BIN)/python benchmarks/make_results.py

clean:
	rm -rf $(VENV) .pytest_cache
