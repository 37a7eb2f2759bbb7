# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: run test fuzz install lock contract-lint ts-client ts-client-check ts-client-e2e lint layers typecheck openapi openapi-check migrations-check migration deploy-check docs-assets check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The locked versions, every file checked against its hash (requirements/README.md), then
# the project itself with no dependency resolution of its own.
$(STAMP): pyproject.toml requirements/dev.txt $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# After changing dependencies in pyproject.toml: re-resolve both lock files (needs uv:
# `pipx install uv` or `pip install uv`), then `make install`.
lock:
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -q -o requirements/runtime.txt
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -q -o requirements/dev.txt

# `make run PORT=8123` for another port; HOST=0.0.0.0 to listen beyond this machine.
HOST ?= 127.0.0.1
PORT ?= 8000

run: $(STAMP)
	$(BIN)/coach-api serve --migrate --host $(HOST) --port $(PORT)

# One worker per core, a test file per worker at a time (module-scoped worlds are built
# once); each worker creates and drops its own SQLite and PostgreSQL databases.
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile

# The fuzzers' long run (`make test` runs a short one): the contract fuzzer, every operation
# as every caller, many examples each, plus schemathesis' coverage phase; the string fuzzer,
# the whole hostile catalogue in every string, parameter and header (tests/fuzz/hostile.py);
# the live-server probe, uvicorn (httptools and h11) on a socket. PostgreSQL too when
# COACH_TEST_POSTGRES_URL is set. `make fuzz COACH_FUZZ_EXAMPLES=200` for a longer one;
# COACH_FUZZ_REPORT=<file> appends each module's request counts to <file>.
COACH_FUZZ_EXAMPLES ?= 100
fuzz: $(STAMP)
	COACH_FUZZ_FULL=1 COACH_FUZZ_EXAMPLES=$(COACH_FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/fuzz

lint: $(STAMP) layers
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The floor plan of app/: no package imports one on a floor above it (pyproject.toml).
layers: $(STAMP)
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy app

openapi: $(STAMP)
	COACH_JWT_SECRET=openapi-generation-only-not-a-real-secret-xx $(BIN)/coach-api openapi > openapi/openapi.json

openapi-check: $(STAMP)
	COACH_JWT_SECRET=openapi-generation-only-not-a-real-secret-xx $(BIN)/coach-api openapi | diff -u openapi/openapi.json - \
		|| (echo "openapi/openapi.json is stale: run 'make openapi' and commit it" && exit 1)

# Needs COACH_MIGRATIONS_DATABASE_URL or COACH_DATABASE_URL pointing at an empty PostgreSQL database.
migrations-check: $(STAMP)
	$(BIN)/alembic upgrade head
	$(BIN)/alembic check
	$(BIN)/alembic downgrade base
	$(BIN)/alembic upgrade head

# The README's "Deploying", literally: a wheel in a fresh venv, PostgreSQL with the three
# roles, two API processes and a worker (scripts/deploy_check.py). Needs a PostgreSQL
# superuser on 127.0.0.1:5432 (POSTGRES_URL=... for another).
POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
deploy-check: $(STAMP)
	$(BIN)/python scripts/deploy_check.py --postgres-url $(POSTGRES_URL)

# make migration m="add contacts"
migration: $(STAMP)
	$(BIN)/alembic revision --autogenerate -m "$(m)"

# The Swagger UI and ReDoc files /docs and /redoc serve, from npm at the versions pinned in
# app/api_docs/static/assets.json; `make docs-assets SWAGGER_UI=5.36.0 REDOC=2.5.5` moves a pin.
docs-assets:
	$(PYTHON) scripts/refresh_docs_assets.py $(if $(SWAGGER_UI),--swagger-ui $(SWAGGER_UI)) $(if $(REDOC),--redoc $(REDOC))

# Spectral and Redocly on the committed contract, at the versions tools/openapi-lint pins.
contract-lint:
	cd tools/openapi-lint && npm ci --no-audit --no-fund --silent \
	  && node_modules/.bin/spectral lint --fail-severity=warn -r .spectral.yaml ../../openapi/openapi.json \
	  && out=$$(node_modules/.bin/redocly lint --config redocly.yaml ../../openapi/openapi.json 2>&1) \
	  ; status=$$?; echo "$$out"; [ $$status -eq 0 ] && ! echo "$$out" | grep -q "You have [0-9]* warning"

# The typed TypeScript client (clients/typescript/README.md), at the versions its
# package-lock.json pins. `ts-client` regenerates src/schema.d.ts from the contract;
# `ts-client-check` fails if the committed one is stale or does not compile (tsc --strict);
# `ts-client-e2e` runs test/e2e.ts against the API served on a free loopback port with a
# scratch SQLite file. Neither installs Python packages: they use .venv as it is.
TS_CLIENT := clients/typescript

ts-client:
	cd $(TS_CLIENT) && npm ci --no-audit --no-fund --silent && npm run --silent generate

ts-client-check:
	cd $(TS_CLIENT) && npm ci --no-audit --no-fund --silent && bash scripts/check-schema.sh

ts-client-e2e:
	@test -x $(BIN)/coach-api || (echo "$(BIN)/coach-api is missing: run 'make install' first" && exit 1)
	cd $(TS_CLIENT) && npm ci --no-audit --no-fund --silent
	bash $(TS_CLIENT)/scripts/e2e-live.sh

check: lint typecheck openapi-check test

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
