# Developer and CI entry points. Run `make help` for the list of targets.
#
# Targets that need PostgreSQL start the private cluster of scripts/pg
# (127.0.0.1:55432, data in .data/postgres) unless the environment already
# names a server: AUTHD_DATABASE_URL for `run`, AUTHD_TEST_DATABASE_URL (an
# admin URL that may CREATE DATABASE) for `test`, `compat` and `bench`.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/authd/authd/internal/version.Version=$(VERSION)

# Pinned staticcheck release; 2026.2.2 builds with Go 1.26.
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# The Better Auth client compatibility suite.
COMPAT_SCRIPT := test/compat/run.sh

# BENCH_LOAD is the load benchmark that `make bench` runs after the Go
# benchmarks when the script exists; set BENCH_LOAD= to skip it. It gets no
# AUTHD_PG_FAST cluster from here, so that it measures with fsync on.
BENCH_LOAD ?= scripts/bench/run

# with_test_db runs a shell command with AUTHD_TEST_DATABASE_URL set, starting
# the private cluster (tuned for speed) when the variable is unset.
define with_test_db
if [[ -z "$${AUTHD_TEST_DATABASE_URL:-}" ]]; then \
	AUTHD_TEST_DATABASE_URL=$$(AUTHD_PG_FAST=1 scripts/pg start); \
	export AUTHD_TEST_DATABASE_URL; \
fi; \
$(1)
endef

.PHONY: help
help: ## Show this list.
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN { FS = ":.*## " } { printf "  %-12s %s\n", $$1, $$2 }'

.PHONY: run
run: ## Run authd in dev mode on the private cluster (database "authd").
	@if [[ -z "$${AUTHD_DATABASE_URL:-}" ]]; then \
		scripts/pg start >/dev/null; \
		AUTHD_DATABASE_URL=$$(scripts/pg createdb authd); \
		export AUTHD_DATABASE_URL; \
	fi; \
	export AUTHD_MODE=$${AUTHD_MODE:-dev} AUTHD_DATA_DIR=$${AUTHD_DATA_DIR:-.data}; \
	exec $(GO) run ./cmd/authd serve

.PHONY: test
test: ## Run the Go tests with the race detector, then the compat suite.
	@scripts/test-deps
	@$(call with_test_db,$(GO) test -race -count=1 -timeout 30m ./... && $(MAKE) --no-print-directory compat)

.PHONY: e2e
e2e: ## Run the end-to-end tests only: the binary behind nginx and Caddy (part of test).
	@$(call with_test_db,$(GO) test -count=1 -v ./test/e2e/)

.PHONY: compat
compat: ## Run the Better Auth client compatibility suite (needs Node.js).
	@if [[ ! -f $(COMPAT_SCRIPT) ]]; then \
		echo "note: $(COMPAT_SCRIPT) does not exist yet; skipping the compatibility suite" >&2; \
		exit 0; \
	fi; \
	$(call with_test_db,bash $(COMPAT_SCRIPT))

.PHONY: bench
bench: ## Run the Go benchmarks, then the load benchmark BENCH_LOAD.
	@$(GO) test -run '^$$' -bench . -benchmem ./...
	@if [[ -n "$(BENCH_LOAD)" && -f "$(BENCH_LOAD)" ]]; then \
		bash $(BENCH_LOAD); \
	else \
		echo "note: no load benchmark at '$(BENCH_LOAD)'; ran the Go benchmarks only" >&2; \
	fi

.PHONY: lint
lint: ## Run go vet, then staticcheck if it builds here.
	$(GO) vet ./...
	@if $(STATICCHECK) -version >/dev/null 2>&1; then \
		echo "$(STATICCHECK) ./..."; \
		$(STATICCHECK) ./...; \
	else \
		echo "note: staticcheck $(STATICCHECK_VERSION) could not be fetched or built; skipping it" >&2; \
	fi

.PHONY: build
build: ## Build a static bin/authd stamped with VERSION.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/authd ./cmd/authd

.PHONY: pg-start pg-stop
pg-start: ## Start the private PostgreSQL cluster and print its admin URL.
	@scripts/pg start
pg-stop: ## Stop the private PostgreSQL cluster.
	@scripts/pg stop

.PHONY: test-clean
test-clean: ## Drop every authd_test_% database on the test server.
	@$(call with_test_db,printf '%s\n' "$(DROP_TEST_DBS_SQL)" | \
		psql -X -q -v ON_ERROR_STOP=1 "$$AUTHD_TEST_DATABASE_URL")

# WITH (FORCE) ends sessions left open by killed test processes.
DROP_TEST_DBS_SQL := SELECT format('DROP DATABASE %I WITH (FORCE)', datname) \
	FROM pg_database WHERE datname LIKE 'authd\_test\_%' \gexec
