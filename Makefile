# borderwatch — two commands on a fresh machine: `make demo` and `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out/demo

.PHONY: demo test serve setup lint typecheck pytest bench clean web

$(STAMP): pyproject.toml scripts/bootstrap.sh
	PY="$(PY)" VENV="$(VENV)" bash scripts/bootstrap.sh
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/borderwatch demo -o $(OUT)

serve: $(STAMP)
	mkdir -p out/serve
	$(BIN)/borderwatch serve --replay latgale-night-raid --speed 10 --store out/serve/borderwatch.db --demo-users

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy src

pytest: $(STAMP)
	bash scripts/ensure_chromium.sh
	bash scripts/ensure_tshark.sh
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP)
	@for b in bench/*.py; do [ -e "$$b" ] || continue; echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache

# the browser picture: rebuild the shipped bundle (src/borderwatch/server/web/dist/) from web/ (needs Node + npm)
web:
	cd web && npm ci --no-audit --no-fund && npm run build
