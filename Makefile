# The two commands a new user needs: `make demo` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLES := samples
PYTEST_ARGS ?=

.PHONY: install demo test lint format bench soak synth samples schemas clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (found %s)" % sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(STAMP)

samples: install
	$(BIN)/python scripts/make_samples.py --out $(SAMPLES)

demo: install
	# exit 3 = every document finished, some FAILED on purpose (samples/truncated.pdf): still a good demo
	$(BIN)/doc-enhancer run $(SAMPLES) --out outputs || test $$? -eq 3

test: install
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schemas: install
	$(BIN)/python -m enhancer.schemas --write

bench: install
	$(BIN)/python bench/run_all.py

# The reliability suites at full size (1,000 PDFs, longer fuzzing); `make test` runs them small.
# -rP prints each test's measured figures (throughput, outcome counts).
soak: install
	RELIABILITY_SCALE=large $(BIN)/python -m pytest -n 2 -m reliability -rP --show-capture=stdout -p no:cacheprovider $(PYTEST_ARGS)

# CDK synth into cdk.out/: pinned CLI from package.json, both layers built without Docker (cached by hash),
# cdk-nag on every synth. No AWS credentials needed. Pass context with CDK_ARGS="-c stage=prod -c …".
ARCH ?= arm64
CDK_ARGS ?=
synth: install
	test -x node_modules/.bin/cdk || npm ci --no-audit --no-fund
	$(BIN)/python -m infra.layers --architecture $(ARCH)
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 npx --no-install cdk synth --quiet -c architecture=$(ARCH) $(CDK_ARGS)

clean:
	rm -rf $(VENV) outputs cache cdk.out .pytest_cache .mypy_cache .ruff_cache
