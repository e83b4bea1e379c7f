#!/usr/bin/env bash
# Make /usr/bin/chromium available for the browser tests, idempotently.
# The browser comes only from Debian's packages (apt); nothing is downloaded
# any other way.
set -euo pipefail

log() { printf 'chromium-setup: %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		log "ERROR: need root (or sudo) to run: $*"
		exit 1
	fi
}

if [ -x /usr/bin/chromium ]; then
	log "found /usr/bin/chromium"
	exit 0
fi

log "/usr/bin/chromium missing; installing the chromium package with apt"
as_root env DEBIAN_FRONTEND=noninteractive apt-get update || log "apt-get update failed; trying to install anyway"
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

if [ ! -x /usr/bin/chromium ]; then
	log "ERROR: chromium installed but /usr/bin/chromium is still missing"
	exit 1
fi
log "installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
