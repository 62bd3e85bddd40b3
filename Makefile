# Jumeau: `make demo` serves the demo city at http://127.0.0.1:8000, `make test` runs the suite.
PORT ?= 8000
PY := .venv/bin/python
export DJANGO_SETTINGS_MODULE := jumeau.settings

.PHONY: demo test setup bench lint clean-demo

setup:
	@bash scripts/bootstrap.sh

demo: setup
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py load_demo
	@echo "Collecting static files, each with a brotli and a gzip copy (a minute or two the first time)"
	@$(PY) manage.py collectstatic --noinput -v 0
	@$(PY) manage.py serve_demo --port $(PORT)

test: setup
	@$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean-demo:
	rm -rf var/jumeau.sqlite3 var/tiles var/demo var/data
