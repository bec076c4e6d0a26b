# kubectl-build. `make help` lists the targets; the README says which two to run on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

# Every recipe finds the pinned tools (Node 24 when the machine's is older, buildkitd, cosign, ...)
# before the machine's own, and the project's dev tools from node_modules.
TOOLS_BIN := $(shell hack/tools.sh bindir)
export PATH := $(TOOLS_BIN):$(CURDIR)/node_modules/.bin:$(PATH)

PREFIX ?= /usr/local
# What the bundle is made of: the code, the .proto files it carries, and what renders its help at build time.
SOURCES := $(shell find cmd pkg -name '*.ts' ! -name '*.test.ts' 2>/dev/null) $(wildcard pkg/buildkit/proto/*.proto) \
  package.json hack/bundle.ts hack/lib/startup-facts.ts hack/lib/cli-recorder.ts hack/lib/bundle-graph.ts
RELEASE_SOURCES := hack/release.ts hack/lib/sea.ts hack/lib/krew.ts hack/install-release.sh LICENSE README.md

.PHONY: help tools node deps build release install uninstall lint test test-unit test-integration bench demo clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

tools: ## Install every pinned peer (apt packages, Node 24, BuildKit, cosign, registries, kubectl)
	hack/tools.sh install

node: ## Install only Node 24 (when the machine's is older)
	hack/tools.sh install node

node_modules/.package-lock.json: package-lock.json | node
	# No install scripts: nothing we use needs one (esbuild's binary comes as an optional
	# dependency), and native addons would only be compiled to be left out of the bundle.
	npm ci --no-audit --no-fund --ignore-scripts

deps: node_modules/.package-lock.json

dist/kubectl-build.js: $(SOURCES) | deps
	node hack/bundle.ts

build: dist/kubectl-build.js ## Bundle the executables into dist/ (what make install and the npm package run)

# The single executables (linux amd64 and arm64), their archives, SHA256SUMS, install.sh, the krew
# index and the npm package, in dist/release. KUBECTL_BUILD_RELEASE_URL: where the archives will be.
dist/release/SHA256SUMS: dist/kubectl-build.js $(RELEASE_SOURCES) | tools
	node hack/release.ts

release: dist/release/SHA256SUMS ## Single executables, archives, sums, krew index, npm package: dist/release/

install: build ## Put kubectl-build, kubectl-buildkit and kubectl-trust on PATH (PREFIX=/usr/local) for kubectl's plugin lookup
	hack/install.sh "$(PREFIX)" "$(CURDIR)"

uninstall: ## Remove what `make install` put in PREFIX
	rm -f "$(PREFIX)/bin/kubectl-build" "$(PREFIX)/bin/kubectl-buildkit" "$(PREFIX)/bin/kubectl-trust" \
	  "$(PREFIX)/bin/kubectl_complete-build" "$(PREFIX)/bin/kubectl_complete-buildkit" "$(PREFIX)/bin/kubectl_complete-trust"

lint: deps ## Type-check, lint TypeScript, shellcheck the scripts
	tsc --noEmit
	eslint --max-warnings 0 .
	shellcheck --external-sources --source-path=hack hack/*.sh hack/local-stack .ci/run

# Each suite also writes a JSON report, from which `make test` prints its one closing line.
REPORTS := test-results
VITEST_REPORT = --reporter=default --reporter=json --outputFile.json=$(REPORTS)/$(1).json

test-unit: deps ## Unit tests: no services, seconds
	vitest run --project unit $(call VITEST_REPORT,unit)

test-integration: tools build release ## Integration tests against real services this project starts (and what make release made)
	vitest run --project integration $(call VITEST_REPORT,integration)

# Both suites run even when the first fails, and the closing lines are printed either way: they name
# every failure with its first lines, so a log cut to its tail still says what broke.
test: tools lint ## Everything CI runs: lint, unit, integration
	@rm -f $(REPORTS)/unit.json $(REPORTS)/integration.json; status=0; \
	$(MAKE) --no-print-directory test-unit || status=1; \
	$(MAKE) --no-print-directory test-integration || status=1; \
	node hack/test-summary.ts $(REPORTS)/unit.json $(REPORTS)/integration.json || status=1; \
	exit $$status

bench: tools build release ## Benchmarks, side by side with the Go tools (needs root for buildkitd)
	node bench/startup.ts
	node bench/context-upload.ts
	node bench/sign.ts
	node bench/keyless.ts
	node bench/multiplatform.ts
	node bench/cluster-connect.ts
	node bench/concurrency.ts
	node bench/verify.ts
	node bench/sweep.ts

demo: tools build ## The main job: bring up the local stack, build, push, sign, verify
	hack/demo.sh

clean: ## Remove build output (the tool cache outside the checkout stays)
	rm -rf dist coverage $(REPORTS)
