# The two commands of the README: `make sandbox` and `make test`. Each sets itself up.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
BUDGET ?= quick
OUT_SUFFIX ?=

.PHONY: sandbox test check check-tests setup lint type regen-check unit spectral sdks sdk-lint bench bench-smoke contract contract-serve-postgres contract-serve-sqlite contract-all fuzz diff vendor-assets oas-examples realworld clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Swagger UI and GraphiQL are committed under server/static/; this re-copies them from the
# pinned npm packages (tools/vendor-assets/package.json) after a pin changes.
vendor-assets:
	$(PY) tools/vendor-assets/vendor.py

sandbox: $(STAMP)
	$(BIN)/kk sandbox --host $(HOST) --port $(PORT)

spectral:
	@test -x tools/spectral/node_modules/.bin/spectral || (cd tools/spectral && npm ci --no-audit --no-fund --loglevel=error)

# The TypeScript SDK's toolchain (tsc, vitest + jsdom, newman), from its lockfile.
sdks:
	@test -x sdks/typescript/node_modules/.bin/vitest || (cd sdks/typescript && npm ci --no-audit --no-fund --loglevel=error)

# The Python SDK is its own distribution (sdks/python, outside the kit's ruff and mypy scope).
sdk-lint: $(STAMP)
	$(BIN)/ruff check sdks/python
	$(BIN)/ruff format --check sdks/python
	$(BIN)/mypy sdks/python/klearkarma

# ruff, and DESIGN's layers and no import cycles (import-linter; contracts in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

type: $(STAMP)
	$(BIN)/mypy

regen-check: $(STAMP)
	$(BIN)/kk generate --check

# The unit suite in parallel (pytest-xdist, one worker per core); `pytest --lf` reruns failures.
unit: $(STAMP) spectral sdks
	$(BIN)/pytest -q -n auto

# The inner loop: lint, types, generated/ drift, and every test that starts no server
# (PostgreSQL, Redis, Node or Chromium: those are marked slow), in parallel; no npm needed.
# The four run side by side (make -j, output kept per target); pytest runs the "check"
# hypothesis profile (20 examples a property; `make unit` and CI keep each test's own count).
# PYTHONDONTWRITEBYTECODE (set on the dev machine) made every xdist worker and every `kk`
# subprocess compile the kit and pytest re-rewrite each test module's asserts on every run: 18 s
# of CPU per worker to collect instead of 10. The check keeps the bytecode caches.
check check-tests: export PYTHONDONTWRITEBYTECODE :=

check: $(STAMP)
	@$(MAKE) --no-print-directory -j4 --output-sync=target lint type regen-check check-tests

check-tests: $(STAMP)
	HYPOTHESIS_PROFILE=check $(BIN)/pytest -q -n auto -m "not slow"

# kk side by side with Prism (installs Prism and wrk on first use); writes bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/pytest bench --benchmark-enable -q
	$(BIN)/python bench/run.py

# CI: the same scripts, about a second per scenario, kk alone, Python load generator.
bench-smoke: $(STAMP)
	$(BIN)/pytest bench -q
	$(BIN)/python bench/run.py --smoke --no-prism --load python

# Quick contract runs of `make test`: mock, sandbox, and the production app (`kk serve`) on a
# throwaway PostgreSQL and Redis. Serve mode on SQLite is `make contract-serve-sqlite` (kept out
# of `make test` for CI time; `make contract-all` runs all four).
contract: $(STAMP)
	$(BIN)/kk contract --mode mock --budget quick --out .kk/contract
	$(BIN)/kk contract --mode sandbox --budget quick --out .kk/contract
	$(MAKE) --no-print-directory contract-serve-postgres

contract-serve-postgres: $(STAMP)
	$(BIN)/python -m contracts.throwaway --postgres --redis -- \
		$(BIN)/kk contract --mode serve --budget $(BUDGET) --out .kk/contract$(OUT_SUFFIX)

contract-serve-sqlite: $(STAMP)
	env -u DATABASE_URL -u REDIS_URL $(BIN)/kk contract --mode serve --budget $(BUDGET) \
		--out .kk/contract$(OUT_SUFFIX)

contract-all: contract contract-serve-sqlite

fuzz: $(STAMP)
	$(BIN)/kk contract --mode mock --budget deep --out .kk/contract-deep
	$(BIN)/kk contract --mode sandbox --budget deep --out .kk/contract-deep
	$(MAKE) --no-print-directory contract-serve-postgres BUDGET=deep OUT_SUFFIX=-deep

diff: $(STAMP)
	$(BIN)/kk diff

# Every 3.0/3.1 document of @readme/oas-examples under kk mock + Schemathesis (make unit runs them too)
oas-examples: $(STAMP)
	$(BIN)/pytest -q -n auto tests/anyspec/test_oas_examples.py -rxX

# Real public APIs' documents (npm, pinned: GitHub, Directus, ShipEngine...) the same way
realworld: $(STAMP)
	KK_REALWORLD=all $(BIN)/pytest -q -n auto tests/anyspec/test_realworld_packages.py -rxX

test: regen-check lint type sdk-lint unit bench-smoke contract diff

clean:
	rm -rf $(VENV) .kk tools/spectral/node_modules tools/vendor-assets/node_modules sdks/typescript/node_modules
