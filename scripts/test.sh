#!/usr/bin/env bash
# The test command (`make test`): prepares PostgreSQL and Chromium, checks
# formatting and vet, then runs the whole Go suite with the race detector
# twice: once on SQLite, once on PostgreSQL.
#
# Environment:
#   TALLY_TEST_PG_URL   use this PostgreSQL URL instead of running scripts/pg-setup.sh
#   TALLY_TEST_CHROMIUM browser binary (default /usr/bin/chromium, installed with apt if missing)
#   TEST_ARGS           extra arguments for go test (e.g. "-run TestFoo -v")
#   TEST_PKGS           packages to test (default ./...)
#   FUZZTIME            time per fuzz target in the fuzz pass (default 10s; 0 skips it)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
banner() {
	printf '\n%s\n== %s\n%s\n' \
		"==========================================================================" "$*" \
		"==========================================================================" >&2
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

apt_updated=no
apt_install() {
	if [ "$apt_updated" = no ]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update || log "apt-get update failed; trying to install anyway"
		apt_updated=yes
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

if [ -z "${HOME:-}" ]; then
	HOME="$(getent passwd "$(id -u)" | cut -d: -f6)"
	export HOME="${HOME:-/tmp}"
fi

# ---------------------------------------------------------------------------
# Go toolchain. Any go >= 1.21 fetches the version go.mod asks for by itself
# (GOTOOLCHAIN=auto, through the module proxy). With no usable go at all, fetch
# that toolchain from the Go module proxy (golang.org/toolchain module).
go_usable() {
	command -v go >/dev/null 2>&1 || return 1
	local v
	v="$(go env GOVERSION 2>/dev/null || true)" # e.g. go1.26.8; absent before 1.13
	v="${v#go}"
	local major="${v%%.*}" rest="${v#*.}"
	local minor="${rest%%.*}"
	[ -n "$v" ] && [ "$major" -eq 1 ] 2>/dev/null && [ "${minor%%[!0-9]*}" -ge 21 ] 2>/dev/null
}

bootstrap_go() {
	local ver arch dir url tmp
	ver="$(awk '$1 == "toolchain" { sub(/^go/, "", $2); print $2; exit }' go.mod)"
	[ -n "$ver" ] || ver="$(awk '$1 == "go" { print $2; exit }' go.mod)"
	case "$(uname -m)" in
	x86_64 | amd64) arch=amd64 ;;
	aarch64 | arm64) arch=arm64 ;;
	*) die "no Go toolchain and unsupported machine $(uname -m)" ;;
	esac
	dir="${XDG_CACHE_HOME:-$HOME/.cache}/tally/go$ver"
	if [ ! -x "$dir/bin/go" ]; then
		log "no usable Go; fetching go$ver ($arch) from the Go module proxy"
		command -v curl >/dev/null 2>&1 || apt_install curl ca-certificates
		command -v unzip >/dev/null 2>&1 || apt_install unzip
		url="${GOPROXY_BASE:-https://proxy.golang.org}/golang.org/toolchain/@v/v0.0.1-go$ver.linux-$arch.zip"
		tmp="$(mktemp -d)"
		curl -fsSL --retry 3 -o "$tmp/go.zip" "$url" || die "could not download $url"
		unzip -q "$tmp/go.zip" -d "$tmp/x"
		rm -rf "$dir" && mkdir -p "$(dirname "$dir")"
		mv "$tmp/x/golang.org/toolchain@v0.0.1-go$ver.linux-$arch" "$dir"
		rm -rf "$tmp"
		# Module zips do not keep the executable bit.
		chmod -R a+x "$dir/bin" "$dir/pkg/tool"
	fi
	export PATH="$dir/bin:$PATH"
}

if ! go_usable; then
	for d in /usr/local/go/bin /usr/lib/go/bin "$HOME/go/bin" "$HOME/sdk/go/bin"; do
		if [ -x "$d/go" ]; then
			export PATH="$d:$PATH"
			go_usable && break
		fi
	done
fi
go_usable || bootstrap_go
go_usable || die "no usable Go toolchain"
log "$(go version)"

# The race detector needs cgo, hence a C compiler (the product itself builds
# with CGO_ENABLED=0, checked below).
race=(-race)
cc="$(CGO_ENABLED=1 go env CC)"
if ! command -v "${cc%% *}" >/dev/null 2>&1; then
	log "no C compiler ($cc) for the race detector; installing gcc with apt"
	apt_install gcc libc6-dev || true
fi
if command -v "${cc%% *}" >/dev/null 2>&1; then
	export CGO_ENABLED=1
else
	log "WARNING: still no C compiler; running tests WITHOUT the race detector"
	race=()
fi

# ---------------------------------------------------------------------------
# Services.
if [ -n "${TALLY_TEST_PG_URL:-}" ]; then
	pg_url="$TALLY_TEST_PG_URL"
	log "using TALLY_TEST_PG_URL"
else
	banner "Setting up PostgreSQL (scripts/pg-setup.sh)"
	pg_url="$(bash scripts/pg-setup.sh)"
fi
[ -n "$pg_url" ] || die "no PostgreSQL URL"

export TALLY_TEST_CHROMIUM="${TALLY_TEST_CHROMIUM:-/usr/bin/chromium}"
if [ "$TALLY_TEST_CHROMIUM" = /usr/bin/chromium ] || [ ! -x "$TALLY_TEST_CHROMIUM" ]; then
	banner "Setting up Chromium (scripts/chromium-setup.sh)"
	bash scripts/chromium-setup.sh
	[ -x "$TALLY_TEST_CHROMIUM" ] || export TALLY_TEST_CHROMIUM=/usr/bin/chromium
fi

# ---------------------------------------------------------------------------
# Static checks.
banner "gofmt, go vet, staticcheck, go build (CGO_ENABLED=0)"
mapfile -t unformatted < <(
	find . \( -name .git -o -name node_modules -o -name .cache \) -prune -o -name '*.go' -type f -print0 |
		xargs -0 -r gofmt -l
)
if [ "${#unformatted[@]}" -gt 0 ]; then
	printf 'gofmt: these files need formatting (run make fmt):\n' >&2
	printf '  %s\n' "${unformatted[@]}" >&2
	exit 1
fi
CGO_ENABLED=0 go vet ./...
# `go run pkg@version` keeps staticcheck out of go.mod; this version supports Go 1.26.
CGO_ENABLED=0 go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
CGO_ENABLED=0 go build -o /dev/null ./...
# bench/ is its own module (./... above stops at its go.mod); keep it compiling.
(cd bench && CGO_ENABLED=0 go vet ./... && CGO_ENABLED=0 go build -o /dev/null ./...)

# ---------------------------------------------------------------------------
# The suite, once per database. Both runs happen even if the first fails.
read -r -a extra <<<"${TEST_ARGS:-}"
read -r -a pkgs <<<"${TEST_PKGS:-./...}"
run_suite() { # NAME DB
	banner "go test ${race[*]} on $1 (TALLY_TEST_DB=$2)"
	local start=$SECONDS
	if TALLY_TEST_DB="$2" go test "${race[@]}" -count=1 -timeout 30m "${extra[@]}" "${pkgs[@]}"; then
		log "$1: PASS ($((SECONDS - start))s)"
		return 0
	fi
	log "$1: FAIL ($((SECONDS - start))s)"
	return 1
}

sqlite_ok=yes pg_ok=yes
run_suite SQLite sqlite || sqlite_ok=no
run_suite PostgreSQL "$pg_url" || pg_ok=no

# ---------------------------------------------------------------------------
# A short fuzz pass (issue 6), once, on SQLite: each target runs its committed
# seed corpus (testdata/fuzz/) and then explores for FUZZTIME. A crash fails
# the test command and leaves the input under testdata/fuzz/<target>/.
fuzz_targets=(
	"FuzzTokenDecode ./attribution"
	"FuzzRedirectURL ./attribution"
	"FuzzStripeEvent ./webhooks"
	"FuzzSnippetSignupBody ./snippet"
	"FuzzSnippetPingBody ./snippet"
	"FuzzServerSignupBody ./api"
)
fuzz_ok=yes
if [ "${FUZZTIME:-10s}" != 0 ]; then
	banner "fuzz pass (${FUZZTIME:-10s} per target, TALLY_TEST_DB=sqlite)"
	for target in "${fuzz_targets[@]}"; do
		read -r name pkg <<<"$target"
		fuzz_log="$(mktemp)"
		if ! TALLY_TEST_DB=sqlite go test -run='^$' -fuzz="^${name}\$" -fuzztime="${FUZZTIME:-10s}" -fuzzminimizetime=5s "$pkg" 2>&1 | tee "$fuzz_log"; then
			# Go's fuzzer sometimes ends a timed run with a bare "context deadline
			# exceeded" when the deadline meets a worker still minimizing a new
			# input: no failing input is written, nothing crashed. A real crash
			# always names the input it wrote under testdata/fuzz/.
			if grep -q "context deadline exceeded" "$fuzz_log" && ! grep -q "Failing input written to" "$fuzz_log"; then
				log "fuzz: $name ended on the fuzzer's own deadline without a failing input (not a crash)"
			else
				log "fuzz: $name FAILED"
				fuzz_ok=no
			fi
		fi
		rm -f "$fuzz_log"
	done
fi

banner "Summary: SQLite $([ $sqlite_ok = yes ] && echo PASS || echo FAIL), PostgreSQL $([ $pg_ok = yes ] && echo PASS || echo FAIL), fuzz $([ $fuzz_ok = yes ] && echo PASS || echo FAIL)"
[ "$sqlite_ok" = yes ] && [ "$pg_ok" = yes ] && [ "$fuzz_ok" = yes ]
