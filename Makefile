# asm-ready: the one entry point for building, running, testing and rendering.
# `make help` lists the targets. Every tool is a pinned Go module run with
# `go tool`, so a machine with Go, git and gcc is enough.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

GO      ?= go
BIN     := $(CURDIR)/bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

# Every Go module in the repository. Each is built, vetted and tested on its
# own (GOWORK=off) to prove it stands alone, as the Docker builds need.
SERVICE_MODULES := services/helloserver services/loadgen
TOOL_MODULES    := tools/meshcheck tools tools/overlays tools/ci tools/bench tools/e2e
MODULES         := $(SERVICE_MODULES) $(TOOL_MODULES)

# Stamped into both services (see internal/buildinfo in each).
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)

# `make run` knobs: make run RPS=50 PORT=9090
PORT         ?= 8080
LOADGEN_PORT ?= 8081
RPS          ?= 5

TESTFLAGS ?= -race
ifdef CI
# A CI run proves the tests pass now, not that they passed once on this machine.
TESTFLAGS += -count=1
endif

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: build
build: ## Build bin/helloserver, bin/loadgen and bin/meshcheck.
	@mkdir -p $(BIN)
	cd services/helloserver && GOWORK=off CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/helloserver .
	cd services/loadgen && GOWORK=off CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/loadgen .
	cd tools/meshcheck && GOWORK=off CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/meshcheck ./cmd/meshcheck

.PHONY: build-go
build-go: ## go build ./... in every module, each on its own (MODULES="dir ..." picks).
	@for m in $(MODULES); do \
	  echo "==> go build $$m"; \
	  (cd $$m && GOWORK=off $(GO) build ./...); \
	done

.PHONY: run
run: build ## Run helloserver and loadgen (RPS=5) together; Ctrl-C stops both.
	PORT=$(PORT) LOADGEN_PORT=$(LOADGEN_PORT) RPS=$(RPS) BIN=$(BIN) ./scripts/run.sh

.PHONY: test
test: lint test-go ## Run every test the repository has (the CI command).

.PHONY: test-go
test-go: ## go test (with -race) in every module, each on its own.
	@for m in $(MODULES); do \
	  echo "==> go test $$m"; \
	  (cd $$m && GOWORK=off $(GO) test $(TESTFLAGS) ./...); \
	done

.PHONY: lint
lint: ## gofmt, go vet and staticcheck over every module.
	@unformatted=$$(gofmt -l $(MODULES)); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed (run: gofmt -w .):"; echo "$$unformatted"; exit 1; fi
	@# staticcheck is pinned by the tools module's `tool` directive; built once
	@# and run inside each module so every module is checked with its own deps.
	@GOWORK=off $(GO) build -C tools -o $(BIN)/staticcheck honnef.co/go/tools/cmd/staticcheck
	@for m in $(MODULES); do \
	  echo "==> vet + staticcheck $$m"; \
	  (cd $$m && GOWORK=off $(GO) vet ./... && GOWORK=off $(BIN)/staticcheck ./...); \
	done

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME (default 10s) each.
	@for m in $(MODULES); do \
	  (cd $$m && for pkg in $$(GOWORK=off $(GO) list ./...); do \
	    for f in $$(GOWORK=off $(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	      echo "==> fuzz $$pkg $$f"; \
	      GOWORK=off $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-10s} $$pkg; \
	    done; done); \
	done

.PHONY: bench
bench: ## Go micro-benchmarks in every module.
	@for m in $(MODULES); do \
	  (cd $$m && GOWORK=off $(GO) test -run '^$$' -bench . -benchmem ./...); \
	done

SMOKE_NAMESPACE ?= asm-ready
SMOKE_MIN       ?= 100
SMOKE_TIMEOUT   ?= 3m
.PHONY: smoke
smoke: ## kind e2e: follow loadgen's log; pass once SMOKE_MIN requests succeeded, fail on any failure or after SMOKE_TIMEOUT.
	cd tools/ci && GOWORK=off $(GO) run ./cmd/loadgen-smoke -min-requests $(SMOKE_MIN) -timeout $(SMOKE_TIMEOUT) -- \
	  kubectl -n $(SMOKE_NAMESPACE) logs --follow deploy/loadgenerator -c main

.PHONY: clean
clean: ## Remove build output.
	rm -rf $(BIN)
