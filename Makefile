# Everything a fresh machine needs: Go, moto_server (pip install 'moto[server]'),
# Node.js with npm (dynalite is installed from package-lock.json by npm ci).
SHELL := /bin/bash
GO    ?= go
FUZZTIME ?= 20s

.PHONY: demo test unit integration lint fuzz bench bench-short generate check-generate

## demo: start moto on a free loopback port, run the CLI twice against it, stop moto
demo:
	./scripts/demo.sh

## test: everything CI checks (lint, generated mocks, unit and integration tests with -race, fuzzing, benchmarks once)
test: node_modules/.bin/dynalite lint check-generate
	CI=$${CI:-1} BOOTSTRAP_REQUIRE_EMULATOR=1 $(GO) test -race -count=1 -timeout 20m ./...
	$(MAKE) fuzz
	$(MAKE) bench-short

node_modules/.bin/dynalite: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## unit: the mock-based unit tests only, which need no emulator (the library's own package;
## the integration tests are in ./integration, the emulator-backed tests of ./internal/... need moto)
unit:
	$(GO) test -race -count=1 .

## integration: the integration tests of the library against moto and dynalite
integration: node_modules/.bin/dynalite
	$(GO) test -race -count=1 -timeout 20m ./integration/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	$(GO) vet ./...

generate:
	$(GO) generate ./...

check-generate:
	$(GO) generate ./...
	@git diff --exit-code -- mocks/ || (echo "go generate changed mocks/: commit the regenerated mocks"; exit 1)

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzValidatePolicy$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzDescription$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzOptions$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzExportName$$' -fuzztime 10s .

## bench: the benchmarks of BENCHMARKS.md, in full (about 15 minutes; needs moto_server, and terraform with the AWS provider mirror for BenchmarkTerraform, which skips loudly without them), output also in bench.out
bench:
	set -o pipefail; $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m . | tee bench.out

## bench-short: every benchmark once, scaled down, to keep them compiling and working (never pass/fail on time)
bench-short:
	$(GO) test -run '^$$' -bench . -benchtime 1x -short -timeout 20m .
