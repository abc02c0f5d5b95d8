# crewgate: the commands a newcomer needs. Every target installs what it needs first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VITEST_RESULTS := .vitest-results.json

.PHONY: help deps install-plugin test test-unit demo bench generate lint typecheck build

help:
	@echo "make demo    - start a local control plane, PostgreSQL, sshd and an IdP, and run the demo"
	@echo "make test    - install what is needed and run every test (vitest run)"
	@echo "make bench   - benchmarks, as ratios against direct connections and named peers"
	@echo "make deps    - install everything (Debian packages, npm ci, Go-built binaries); idempotent"
	@echo "make install-plugin - put kubectl-crewgate on the PATH (/usr/local/bin or ~/.local/bin)"

deps:
	@scripts/deps.sh
	@scripts/install-plugin.sh

# `kubectl crewgate` for reviewers: links scripts/kubectl-crewgate into a PATH directory.
install-plugin:
	@scripts/install-plugin.sh

# Runs every test; the last line is the plain `N passed, N failed` CI reads.
test: deps
	@rm -f $(VITEST_RESULTS); status=0; \
	npx vitest run --reporter=default --reporter=json --outputFile.json=$(VITEST_RESULTS) || status=$$?; \
	node scripts/test-summary.mjs $(VITEST_RESULTS); exit $$status

test-unit:
	npx vitest run --project unit

demo: deps
	npx tsx scripts/demo.ts

bench: deps
	npx tsx bench/run.ts

generate:
	npx tsx scripts/generate-crds.ts

typecheck:
	npx tsc -p tsconfig.json --noEmit

lint:
	npx eslint . && npx prettier --check .

build:
	npx tsc -p tsconfig.build.json
