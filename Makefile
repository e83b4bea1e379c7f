# Tally developer commands. `make test` is the test command CI runs.

GO ?= go

.PHONY: test build run bench bench-analytics fmt vet

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
	$(GO) run ./bench/analytics

fmt:
	gofmt -w $$(find . \( -name .git -o -name node_modules \) -prune -o -name '*.go' -type f -print)

vet:
	$(GO) vet ./...
