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
TOOL_MODULES    := tools/meshcheck tools
MODULES         := $(SERVICE_MODULES) $(TOOL_MODULES)

# Pinned tool binaries and generated schemas live outside the repository and
# are built once per machine (tools/skaffold, tools, tools/kube).
ASM_READY_CACHE ?= $(HOME)/.cache/asm-ready
export ASM_READY_CACHE
SKAFFOLD      := $(ASM_READY_CACHE)/bin/skaffold-v2.16.1
KUSTOMIZE     := $(ASM_READY_CACHE)/bin/kustomize-v5.8.2
SKAFFOLD_HOME := $(ASM_READY_CACHE)/skaffold-home
OVERLAYS      := overlays/local overlays/kind-istio overlays/gke overlays/gke-skaffold
# Overlays whose chart render is committed as rendered.yaml.
RENDERED      := $(wildcard overlays/*/rendered.yaml)

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
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-17s %s\n", $$1, $$2}'

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

.PHONY: check
check: lint test-go check-render helm-lint meshcheck-report ## The inner loop: lint, unit tests, render drift, chart lint, meshcheck on the renders.

.PHONY: test
test: check chart-package tools validate skaffold-render e2e-local ## make check, then kubeconform, skaffold render and the e2e on a local test node (the CI command; root).

.PHONY: test-go
test-go: tools ## go test (with -race) in every module, each on its own (after make tools: the tests run the pinned skaffold).
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

.PHONY: render
render: ## Render the chart into every overlays/<env>/rendered.yaml (commit the result).
	cd tools && GOWORK=off $(GO) run ./cmd/render -all -chart ../charts/asm-ready -overlays ../overlays

.PHONY: check-render
check-render: render ## Fail when the committed rendered manifests are stale.
	@if ! git diff --exit-code --stat -- overlays || [ -n "$$(git ls-files --others --exclude-standard -- overlays)" ]; then \
	  git status --short -- overlays; \
	  echo "rendered manifests are stale: run make render and commit"; exit 1; \
	fi

.PHONY: chart-docs
chart-docs: ## Regenerate the values table in charts/asm-ready/README.md.
	cd tools && GOWORK=off $(GO) run ./cmd/chartdocs -chart ../charts/asm-ready

.PHONY: helm-lint
helm-lint: ## helm lint --strict on the chart (pinned Helm from the tools module).
	$(HELM) lint --strict $(CURDIR)/charts/asm-ready

# Pinned Helm from the tools module; the release workflow passes HELM=helm.
HELM ?= GOWORK=off $(GO) -C $(CURDIR)/tools tool helm
CHART_REGISTRY ?=
.PHONY: chart-package
chart-package: ## helm package the chart into dist/ (CHART_REGISTRY=ghcr.io/<owner> sets global.imageRegistry in the package only).
	@rm -rf $(CURDIR)/dist/chart && mkdir -p $(CURDIR)/dist/chart && cp -R charts/asm-ready $(CURDIR)/dist/chart/
	@if [ -n "$(CHART_REGISTRY)" ]; then \
	  sed -i 's|^  imageRegistry: .*$$|  imageRegistry: $(CHART_REGISTRY)|' $(CURDIR)/dist/chart/asm-ready/values.yaml; \
	  grep -qx '  imageRegistry: $(CHART_REGISTRY)' $(CURDIR)/dist/chart/asm-ready/values.yaml || { echo "chart-package: could not set global.imageRegistry"; exit 1; }; \
	fi
	$(HELM) package $(CURDIR)/dist/chart/asm-ready --destination $(CURDIR)/dist
	@rm -rf $(CURDIR)/dist/chart

# Images for GKE / GitOps. push-images builds both Dockerfiles for amd64 and
# arm64 with docker buildx, pushes them to REGISTRY and pins overlays/gke to
# the pushed digests; the release workflow runs pin-images on its own builds.
REGISTRY       ?=
IMAGE_METADATA ?= $(CURDIR)/dist/images
.PHONY: push-images
push-images: ## Build and push both images to REGISTRY (e.g. REGION-docker.pkg.dev/PROJECT_ID/asm-ready), then pin-images; commit overlays/gke.
	@if [ -z "$(REGISTRY)" ]; then echo "push-images: set REGISTRY, e.g. make push-images REGISTRY=europe-west1-docker.pkg.dev/my-project/asm-ready"; exit 2; fi
	@rm -rf $(IMAGE_METADATA) && mkdir -p $(IMAGE_METADATA)
	@for s in helloserver loadgen; do \
	  echo "==> build and push $(REGISTRY)/$$s:$(VERSION)"; \
	  docker buildx build --platform linux/amd64,linux/arm64 --push \
	    --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) \
	    --tag $(REGISTRY)/$$s:$(VERSION) --metadata-file $(IMAGE_METADATA)/$$s.json services/$$s; \
	done
	$(MAKE) pin-images

.PHONY: pin-images
pin-images: ## Point overlays/gke at the builds in IMAGE_METADATA (BuildKit --metadata-file JSON, one per image), pinned by digest.
	cd tools && GOWORK=off $(GO) run ./cmd/pinimages -overlay ../overlays/gke $(wildcard $(IMAGE_METADATA)/*.json)

.PHONY: tools
tools: $(SKAFFOLD) $(KUSTOMIZE) ## Build the pinned skaffold and kustomize into $(ASM_READY_CACHE)/bin (once).
$(SKAFFOLD):
	@mkdir -p $(@D)
	GOWORK=off $(GO) build -C tools/skaffold -trimpath -buildvcs=false -o $@.tmp github.com/GoogleContainerTools/skaffold/v2/cmd/skaffold
	mv $@.tmp $@
$(KUSTOMIZE):
	@mkdir -p $(@D)
	GOWORK=off $(GO) build -C tools -trimpath -buildvcs=false -o $@.tmp sigs.k8s.io/kustomize/kustomize/v5
	mv $@.tmp $@

.PHONY: validate
validate: ## kubeconform -strict (offline Kubernetes 1.32 and 1.37 + Istio/Argo CD/Flux CRD schemas) and meshcheck: chart, overlays, gitops/.
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	(cd tools && GOWORK=off $(GO) run ./cmd/render -chart ../charts/asm-ready -values ../charts/asm-ready/values.yaml -out "$$tmp/chart-default.yaml"); \
	cd tools && GOWORK=off $(GO) run ./overlays/cmd/validate $(addprefix ../,$(OVERLAYS)) ../gitops/argocd ../gitops/flux "$$tmp/chart-default.yaml"

FORMAT ?= text
OUT    ?=
.PHONY: meshcheck-report
meshcheck-report: build ## meshcheck over every committed render (FORMAT=text|json|github|sarif, OUT=file).
	$(BIN)/meshcheck --each --fail-on info --namespace asm-ready --format $(FORMAT) $(RENDERED) $(if $(OUT),> $(OUT))

.PHONY: skaffold-render
skaffold-render: $(SKAFFOLD) ## skaffold render (offline, metrics off, private HOME) per profile into bin/skaffold-<profile>.yaml.
	@mkdir -p $(BIN) $(SKAFFOLD_HOME)/.skaffold
	@printf 'global:\n  collect-metrics: false\n  update-check: false\n  survey:\n    disable-prompt: true\n' > $(SKAFFOLD_HOME)/.skaffold/config
	@for p in default gke kind-istio; do \
	  echo "==> skaffold render --profile $$p"; \
	  prof=; [ "$$p" = default ] || prof="--profile $$p"; \
	  env HOME=$(SKAFFOLD_HOME) KUBECONFIG=$(SKAFFOLD_HOME)/no-kubeconfig \
	    GOPATH="$$($(GO) env GOPATH)" GOMODCACHE="$$($(GO) env GOMODCACHE)" GOCACHE="$$($(GO) env GOCACHE)" \
	    $(SKAFFOLD) render --offline=true --digest-source=tag $$prof > $(BIN)/skaffold-$$p.yaml; \
	done

# The single-node test cluster (tools/cluster/README.md). Needs root; the
# cluster command runs from the repository root, where it finds go.work.
CLUSTER := $(BIN)/cluster
CMD     ?=
.PHONY: cluster-bins cluster-cmd cluster-up cluster-down images image-refs cluster-run cluster-test
cluster-bins: ## Build every binary the test cluster runs into $(ASM_READY_CACHE) (once; cold ~40 CPU-min).
	tools/kube/build.sh
cluster-cmd: ## Build bin/cluster, the test cluster's command (what the cluster-* targets run).
	@mkdir -p $(BIN)
	GOWORK=off $(GO) build -C tools -o $(CLUSTER) ./cluster/cmd/cluster
cluster-up: cluster-bins cluster-cmd ## Bring the test cluster up (root); prints its KUBECONFIG.
	$(CLUSTER) up
cluster-down: cluster-cmd ## Tear the test cluster down and put the host back as it was (also after a crash).
	$(CLUSTER) down
images: cluster-cmd ## Build both service images from their Dockerfiles (BuildKit, nothing fetched) into the running test cluster.
	$(CLUSTER) images
image-refs: cluster-cmd ## Print each service and every image name overlays/local and the chart give it (what images and e2e.yaml build).
	@$(CLUSTER) refs
cluster-run: cluster-bins cluster-cmd ## Run CMD with KUBECONFIG on a fresh test cluster with both images, then tear it down.
	$(if $(strip $(CMD)),,$(error cluster-run: set CMD, e.g. make cluster-run CMD='go test ./...'))
	$(CLUSTER) run -images -- $(CMD)
cluster-test: cluster-bins ## The test cluster's own test (root): a restricted pod through CoreDNS and a Service; two runs leave the host unchanged.
	cd tools && GOWORK=off $(GO) test -tags cluster -count=1 -v -run TestNode ./cluster/

# The e2e suite (tools/e2e/README.md) against any cluster: KUBECONFIG, both
# images loaded, kubectl on PATH; E2E_NODE_EXEC when the node is not this
# machine (kind: E2E_NODE_EXEC='docker exec <cluster>-control-plane').
E2E_TIMEOUT ?= 15m
.PHONY: e2e e2e-local
e2e: ## The e2e suite against the cluster KUBECONFIG names (both images loaded; see tools/e2e/README.md).
	cd tools && GOWORK=off $(GO) test -tags e2e -count=1 -v -parallel 16 -timeout $(E2E_TIMEOUT) ./e2e/
e2e-local: cluster-bins cluster-cmd ## make e2e on a fresh local test node with both images, always torn down (root).
	$(CLUSTER) run -images -- $(MAKE) e2e

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
bench: build ## Measure what users feel (loadgen, helloserver, meshcheck) into docs/benchmarks.md (~3 min, loopback only).
	cd tools && GOWORK=off CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $(BIN)/nethttp ./bench/nethttp
	cd tools/meshcheck && GOWORK=off $(GO) test -run '^$$' -bench BenchmarkLoadCheck -benchtime 1x -bench-inputs $(BIN)/bench-inputs .
	cd tools && GOWORK=off $(GO) run ./bench -repo $(CURDIR)

.PHONY: clean
clean: ## Remove build output.
	rm -rf $(BIN)
