# Set-up on a fresh machine: `make demo` (installs if needed) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install compiled demo test lint pytest pytest-pure fuzz bench golden docs report-screenshot review-screenshots clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	CART837_PURE=1 $(BIN)/pip install -q -e '.[test,dev,dask,review]'
	touch $(STAMP)

# The compiled build (README, Install): setup.py's wheel (the hot modules compiled with mypyc when a C
# compiler is present, else pure Python) installed into build/compiled/, never into the checkout: the
# editable dev venv keeps running the source as edited. Rebuilt when anything under cart837/ changed.
COMPILED := build/compiled
compiled: install
	@sig=$$(find cart837 setup.py pyproject.toml -type f ! -name '*.pyc' -print0 | sort -z | xargs -0 sha1sum | sha1sum); \
	if [ "$$sig" != "$$(cat $(COMPILED)/.sources 2>/dev/null)" ]; then \
	  echo "building the compiled package into $(COMPILED)/ (log: build/wheel.log)"; \
	  rm -rf $(COMPILED) build/wheel build/lib.* build/cart837-build-kind && mkdir -p build && \
	  { $(BIN)/python -m build --wheel --no-isolation --skip-dependency-check --outdir build/wheel . \
	    >build/wheel.log 2>&1 || { tail -30 build/wheel.log; exit 1; }; } && \
	  $(BIN)/pip install -q --no-deps --no-index --target $(COMPILED) build/wheel/cart837-*.whl && \
	  cp build/cart837-build-kind $(COMPILED)/.kind && echo "$$sig" > $(COMPILED)/.sources; \
	fi; echo "cart837 build: $$(cat $(COMPILED)/.kind)"

demo: install
	rm -rf out && mkdir -p out  # report folders must exist (README, In a pipeline)
	$(BIN)/cart837 fix fixtures/demo -o out/fixed --report out/report.json \
		--report-md out/report.md --report-html out/report.html --worklist out/worklist.csv
	@echo "fixed files in ./out/fixed; reports (work list first): ./out/report.json, ./out/report.md,"
	@echo "./out/report.html; the claims that need a person: ./out/worklist.csv"
	@echo "review before submitting: $(BIN)/cart837 serve fixtures/demo   (then open the address it prints)"

lint: install
	$(BIN)/ruff check cart837 tests bench setup.py
	$(BIN)/ruff format --check cart837 tests bench setup.py
	$(BIN)/mypy

# `make pytest` runs the suite on the compiled build (cart837 imported from build/compiled/, not the
# checkout: PYTHONSAFEPATH keeps the working folder off children's paths); `make pytest-pure` on the
# source (CI runs both).
pytest: compiled
	CART837_BUILD_KIND="$$(cat $(COMPILED)/.kind)" PYTHONSAFEPATH=1 PYTHONPATH="$(CURDIR)/$(COMPILED):$(CURDIR)" \
		$(BIN)/pytest --import-mode=append

pytest-pure: install
	CART837_BUILD_KIND=source $(BIN)/pytest

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
	rm -rf out build .pytest_cache .mypy_cache .ruff_cache

# Time cart837 (CLI and library) against pyx12's read+write round trip and a pure-Python floor on
# generated files (cached in bench/cache/); prints the table and writes bench/results.json.
# Shorter: make bench SIZES=10000,100000
SIZES ?= 10000,100000,1000000
# The compiled build by default; `make bench BENCH_BUILD=pure` times the source as plain Python.
BENCH_BUILD ?= compiled
bench: install $(if $(filter compiled,$(BENCH_BUILD)),compiled)
	PYTHONSAFEPATH=1 PYTHONPATH="$(if $(filter compiled,$(BENCH_BUILD)),$(CURDIR)/$(COMPILED))" \
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
