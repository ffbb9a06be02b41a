# SESMU: `make run` serves the demo, `make test` runs every check.
# Both create or reuse the virtual environment in .venv/.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DEBUG ?= true
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/sesmu_bench

.PHONY: run test lint bench venv migrate seed clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "SESMU needs Python 3.10 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	@mkdir -p var
	@$(BIN)/python manage.py demo_procfile > var/Procfile
	@echo ""
	@echo "  SESMU demo: http://127.0.0.1:8000  (back office: /admin/, API docs: /api/docs/)"
	@echo "  External systems are simulated on ports 8101-8106 (supervisor page: /desk/integrations/)"
	@$(BIN)/python manage.py demo_logins
	@echo ""
	$(BIN)/honcho -f var/Procfile -d . start

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	DEBUG=false SECRET_KEY=lint-only-$$(date +%s)-not-a-secret-value-0123456789abcdef \
	  ALLOWED_HOSTS=sesmu.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run
	@if command -v docker-compose >/dev/null 2>&1; then SECRET_KEY=compose-config-check docker-compose -f docker-compose.yml config -q && echo "docker-compose.yml is valid"; \
	  else $(BIN)/python -c 'import yaml,sys; d=yaml.safe_load(open("docker-compose.yml")); assert {"web","worker","beat","postgres","redis"} <= set(d["services"]), d["services"].keys(); print("docker-compose.yml has its services (docker-compose not installed for a full check)")'; fi

test: lint
	SESMU_TESTING=true $(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	@DATABASE_URL=$(BENCH_DATABASE_URL) DEBUG=false SECRET_KEY=bench-only-not-secret-0123456789abcdefghij \
	  SECURE_SSL_REDIRECT=false ALLOWED_HOSTS=testserver,127.0.0.1 \
	  $(BIN)/python manage.py bench $(BENCH)

clean:
	rm -rf $(VENV) var
