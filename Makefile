# Set-up on a fresh machine: `make demo` (installs if needed) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint pytest fuzz bench golden docs report-screenshot review-screenshots clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,dev,dask,review]'
	touch $(STAMP)

demo: install
	rm -rf out && mkdir -p out  # report folders must exist (README, In a pipeline)
	$(BIN)/cart837 fix fixtures/demo -o out/fixed --report out/report.json \
		--report-md out/report.md --report-html out/report.html --worklist out/worklist.csv
	@echo "fixed files in ./out/fixed; reports (work list first): ./out/report.json, ./out/report.md,"
	@echo "./out/report.html; the claims that need a person: ./out/worklist.csv"
	@echo "review before submitting: $(BIN)/cart837 serve fixtures/demo   (then open the address it prints)"

lint: install
	$(BIN)/ruff check cart837 tests bench
	$(BIN)/ruff format --check cart837 tests bench
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

test: lint pytest

# Hypothesis at its heavy profile, then atheris: FUZZ_RUNS executions of the reader fuzz target
# (README, Guarantees). A crash leaves its input in out/fuzz-crashes/: add it to tests/fuzz/regressions/
# with NAME.expected beside it (`accepted` or the one-line refusal, once fixed).
FUZZ_RUNS ?= 1000000
fuzz: install
	$(BIN)/pip install -q -e '.[fuzz]'
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest tests/x12/test_fuzz.py tests/claims/test_summary.py \
		tests/fuzz tests/integrity/test_properties.py
	rm -rf out/fuzz-corpus && mkdir -p out/fuzz-crashes && $(BIN)/python -m tests.fuzz.seeds out/fuzz-corpus
	$(BIN)/python -m tests.fuzz.run_atheris -runs=$(FUZZ_RUNS) -max_len=4096 -print_final_stats=1 \
		-artifact_prefix=out/fuzz-crashes/ out/fuzz-corpus

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache

# Time cart837 (CLI and library) against pyx12's read+write round trip and a pure-Python floor on
# generated files (cached in bench/cache/); prints the table and writes bench/results.json.
# Shorter: make bench SIZES=10000,100000
SIZES ?= 10000,100000,1000000
bench: install
	$(BIN)/python bench/run.py --sizes $(SIZES)

# The Markdown and HTML golden files of the report tests, rendered from the sample JSON report.
golden: install
	SOURCE_DATE_EPOCH=1735689600 $(BIN)/cart837 report tests/report/data/sample-report.json \
		--md tests/golden/report.md --html tests/golden/report.html

# docs/rules.md from the rule modules (tests/test_docs.py fails when it is stale).
docs: install
	$(BIN)/python -m cart837.report.rules_doc > docs/rules.md

# Render the sample HTML report in headless Chromium (all, filtered to one rule, sorted by dollars)
# and the demo batch's report: look at out/*.png. docs/report.png is the demo's, for the README.
report-screenshot: install
	mkdir -p out
	$(BIN)/cart837 report tests/report/data/sample-report.json --html out/report.html
	$(BIN)/python -m tests.report.browser out/report.html out/report.png
	$(BIN)/python -m tests.report.browser "out/report.html#rule=CART-007" out/report-filtered.png
	$(BIN)/python -m tests.report.browser "out/report.html#sort=amount&hide=info" out/report-sorted.png
	$(BIN)/cart837 fix fixtures/demo -q -o out/screenshot-fixed --report-html out/demo-report.html
	$(BIN)/python -m tests.report.browser out/demo-report.html out/demo-report.png 1200x1400
	$(BIN)/python -m tests.report.browser out/demo-report.html docs/report.png 1240x1000 0.7

# The review page's main screens (home, work list, a rejected fix, a refused file) in headless
# Chromium through chromedriver: out/review-*.png (the README shows copies from docs/).
review-screenshots: install
	$(BIN)/python -m tests.review.screens out
