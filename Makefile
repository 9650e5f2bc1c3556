# borderwatch — two commands on a fresh machine: `make demo` and `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out/demo

.PHONY: demo test serve serve-scale setup lint typecheck pytest bench clean web

$(STAMP): pyproject.toml scripts/bootstrap.sh
	PY="$(PY)" VENV="$(VENV)" bash scripts/bootstrap.sh
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/borderwatch demo -o $(OUT)

serve: $(STAMP)
	mkdir -p out/serve
	$(BIN)/borderwatch serve --replay latgale-night-raid --speed 10 --store out/serve/borderwatch.db --demo-users

# scaled deployment on localhost: 2 gateways, 2 sector engines, 1 API over NATS JetStream + PostgreSQL/PostGIS
SCALE_STORE ?= postgresql://postgres@127.0.0.1:5432/bw_scale
serve-scale: $(STAMP)
	bash scripts/ensure_services.sh
	psql -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'bw_scale'" | grep -q 1 || \
		psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE bw_scale"
	mkdir -p out/serve-scale
	$(BIN)/python -m borderwatch.scale.launch --store $(SCALE_STORE) --bus nats://127.0.0.1:4222 \
		--replay latgale-night-raid --speed 10 --work out/serve-scale

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
