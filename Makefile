# Tally developer commands. `make test` is the test command CI runs.
# bench/ is its own Go module (its load generator stays out of the product's
# go.mod): its tools are built from there and run from the repository root.

GO ?= go

.PHONY: test build run bench bench-analytics bench-dashboard faults fmt vet

test:
	bash scripts/test.sh

build:
	CGO_ENABLED=0 $(GO) build -o bin/tally ./cmd/tally

run:
	$(GO) run ./cmd/tally serve

bench:
	bash bench/run.sh

# GET /v1/analytics on a fresh PostgreSQL database with 5 million clicks
# (scripts/pg-setup.sh, or TALLY_BENCH_PG=postgres://…); prints Markdown.
bench-analytics:
	$(GO) -C bench build -o ../bin/bench-analytics ./analytics
	./bin/bench-analytics

# Every dashboard page, signed in, on a fresh PostgreSQL database with 5
# million clicks, 50 partners, 500 links (scripts/pg-setup.sh, or
# TALLY_BENCH_PG=postgres://…); prints Markdown for BENCHMARKS.md
# ("Dashboard"). ARGS="-clicks 200000 -partners 5 -links 50" runs it small.
bench-dashboard:
	$(GO) -C bench build -o ../bin/bench-dashboard ./dashboard
	./bin/bench-dashboard $(ARGS)

# Fault scenarios of issue 6 on a local PostgreSQL (scripts/pg-setup.sh, or
# TALLY_BENCH_PG=postgres://…), everything on 127.0.0.1: webhook storm,
# kill -9 of one of two instances at 5,000 redirects/s, mixed soak (SOAK=60s
# shortens it; default 10m). SCENARIOS=storm,crash picks some. Prints Markdown
# for BENCHMARKS.md ("Faults (issue 6)"). The PostgreSQL outage test runs in
# the suite (app/outage_test.go).
faults: build
	$(GO) -C bench build -o ../bin/bench-faults ./faults
	./bin/bench-faults -bin bin/tally $(if $(SCENARIOS),-scenario $(SCENARIOS))

fmt:
	gofmt -w $$(find . \( -name .git -o -name node_modules \) -prune -o -name '*.go' -type f -print)

vet:
	$(GO) vet ./...
