# Tally developer commands. `make test` is the test command CI runs.

GO ?= go

.PHONY: test build run bench fmt vet

test:
	bash scripts/test.sh

build:
	CGO_ENABLED=0 $(GO) build -o bin/tally ./cmd/tally

run:
	$(GO) run ./cmd/tally serve

bench:
	bash bench/run.sh

fmt:
	gofmt -w $$(find . \( -name .git -o -name node_modules \) -prune -o -name '*.go' -type f -print)

vet:
	$(GO) vet ./...
