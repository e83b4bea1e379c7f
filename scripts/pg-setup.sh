#!/usr/bin/env bash
# Make a local PostgreSQL server available for the test suite, idempotently:
# install it with apt if missing, make sure a cluster exists and is running,
# and create (or refresh) the role tally/tally with LOGIN CREATEDB.
#
# Progress goes to stderr; the only line on stdout is the database URL, so
#   TALLY_TEST_DB="$(bash scripts/pg-setup.sh)"
# works. Run as root, or as a user with sudo.
set -euo pipefail

log() { printf 'pg-setup: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# as_root CMD...: run CMD as root (directly, or through sudo).
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

# as_postgres CMD: run the shell command CMD as the postgres OS user
# (stdin is passed through).
as_postgres() {
	if [ "$(id -un)" = postgres ]; then
		(cd / && sh -c "$1")
	elif [ "$(id -u)" -eq 0 ]; then
		su postgres -s /bin/sh -c "cd / && $1"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -u postgres sh -c "cd / && $1"
	else
		die "need root (or sudo) to act as the postgres user"
	fi
}

server_installed() {
	command -v pg_ctlcluster >/dev/null 2>&1 &&
		command -v pg_lsclusters >/dev/null 2>&1 &&
		compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

if ! server_installed; then
	log "PostgreSQL server not installed; installing it with apt"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update || log "apt-get update failed; trying to install anyway"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
	server_installed || die "postgresql installed but pg_ctlcluster/postgres still not found"
fi

# pick_cluster: print "VERSION NAME PORT STATUS" of the cluster to use:
# the highest version named main, else the first one listed.
pick_cluster() {
	pg_lsclusters -h 2>/dev/null | awk '
		{ line = $1 " " $2 " " $3 " " $4 }
		$2 == "main" { main = line }
		NR == 1 { first = line }
		END { if (main != "") print main; else if (first != "") print first }'
}

cluster="$(pick_cluster)"
if [ -z "$cluster" ]; then
	ver="$(ls /usr/lib/postgresql/ | sort -V | tail -n 1)"
	[ -n "$ver" ] || die "no PostgreSQL server version found under /usr/lib/postgresql"
	log "no cluster; creating $ver/main"
	as_root pg_createcluster "$ver" main >&2
	cluster="$(pick_cluster)"
	[ -n "$cluster" ] || die "pg_createcluster $ver main did not create a cluster"
fi
read -r ver name port status <<<"$cluster"
log "cluster $ver/$name on port $port is $status"

start_cluster() {
	log "starting cluster $ver/$name"
	if ! as_root pg_ctlcluster "$ver" "$name" start >&2; then
		# Stale state (e.g. a pid file left by a killed container): try once more
		# after a stop, then show the log.
		as_root pg_ctlcluster "$ver" "$name" stop >&2 2>&1 || true
		if ! as_root pg_ctlcluster "$ver" "$name" start >&2; then
			as_root tail -n 30 "/var/log/postgresql/postgresql-$ver-$name.log" >&2 || true
			die "could not start cluster $ver/$name"
		fi
	fi
}

started=no
case "$status" in
online*) ;;
*)
	start_cluster
	started=yes
	;;
esac

wait_ready() {
	for _ in $(seq 1 60); do
		if pg_isready -q -h 127.0.0.1 -p "$port"; then
			return 0
		fi
		sleep 1
	done
	die "PostgreSQL did not become ready on 127.0.0.1:$port within 60s"
}
wait_ready

psql_cmd="psql -X -q -v ON_ERROR_STOP=1 -p $port -d postgres"

# Tests open many connections from parallel packages; make room for them.
# max_connections needs a restart: done right away only on CI or when this
# script just started the server itself, otherwise at the next restart.
want_conns=300
have_conns="$(as_postgres "$psql_cmd -tA -c 'SHOW max_connections'" </dev/null | tr -d '[:space:]')"
if [ -n "$have_conns" ] && [ "$have_conns" -lt "$want_conns" ]; then
	as_postgres "$psql_cmd -c 'ALTER SYSTEM SET max_connections = $want_conns'" </dev/null
	if [ "${CI:-}" = "true" ] || [ "$started" = yes ]; then
		log "raising max_connections from $have_conns to $want_conns (restart)"
		as_root pg_ctlcluster "$ver" "$name" restart >&2
		wait_ready
	else
		log "note: max_connections is $have_conns; set to $want_conns from the next server restart"
	fi
fi

# On CI the database is thrown away: trade durability for speed.
if [ "${CI:-}" = "true" ]; then
	as_postgres "$psql_cmd" >/dev/null <<'SQL'
ALTER SYSTEM SET fsync = off;
ALTER SYSTEM SET synchronous_commit = off;
ALTER SYSTEM SET full_page_writes = off;
SELECT pg_reload_conf();
SQL
else
	# Anywhere else (a developer's machine, `make bench`): undo what a CI run
	# on this machine may have set, so benchmarks measure durable commits.
	as_postgres "$psql_cmd" >/dev/null <<'SQL'
ALTER SYSTEM RESET fsync;
ALTER SYSTEM RESET synchronous_commit;
ALTER SYSTEM RESET full_page_writes;
SELECT pg_reload_conf();
SQL
fi

log "ensuring role tally (LOGIN CREATEDB, password tally)"
as_postgres "$psql_cmd" <<'SQL'
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'tally') THEN
		CREATE ROLE tally LOGIN CREATEDB PASSWORD 'tally';
	END IF;
END
$$;
ALTER ROLE tally WITH LOGIN CREATEDB PASSWORD 'tally';
-- make bench starts each run from a checkpoint (pg_checkpoint: PostgreSQL 15+).
DO $$
BEGIN
	IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'pg_checkpoint') THEN
		GRANT pg_checkpoint TO tally;
	END IF;
END
$$;
SQL

url="postgres://tally:tally@127.0.0.1:$port/postgres?sslmode=disable"

# Check that the URL really works (password authentication over TCP).
if ! PGPASSWORD=tally PGCONNECT_TIMEOUT=10 psql -X -q -h 127.0.0.1 -p "$port" -U tally -d postgres -tA -c 'SELECT 1' >/dev/null; then
	die "cannot connect as tally to 127.0.0.1:$port (check pg_hba.conf allows password auth on 127.0.0.1)"
fi

log "ready: $url"
printf '%s\n' "$url"
