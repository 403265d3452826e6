# Sourced by test.sh and bench.sh: a throwaway PostgreSQL cluster on loopback, from the
# server binaries in /usr/lib/postgresql/*/bin, stopped and removed when the script exits.
# initdb refuses to run as root, so as root the cluster runs as the `postgres` user. Needs
# scripts/env.sh (at_exit).

# Whether PostgreSQL's server binaries are installed; sets pg_bin to their folder.
postgres_installed() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n "$pg_bin" && -x "$pg_bin/initdb" ]]
}

# Starts the cluster, with any extra server settings given (such as `-c fsync=off`), and sets
# pg_url to its `postgres` database. Call it outside any condition, so that `set -e` stops
# the script if the cluster can't start.
start_throwaway_postgres() {
  postgres_installed
  pg_dir=$(mktemp -d /tmp/roster-pg.XXXXXX)
  pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_pg=()
  if [[ "$(id -u)" == 0 ]]; then
    chown postgres "$pg_dir"
    as_pg=(runuser -u postgres --)
  fi
  "${as_pg[@]}" "$pg_bin/initdb" -A trust -U postgres -D "$pg_dir/data" >/dev/null
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 $*" start >/dev/null
  at_exit '"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"'
  pg_url="postgres://postgres@127.0.0.1:$pg_port/postgres"
}

# Creates the database $1 in the throwaway cluster and prints its URL.
create_postgres_database() {
  "${as_pg[@]}" "$pg_bin/psql" -h "$pg_dir" -p "$pg_port" -U postgres -qc "CREATE DATABASE $1"
  echo "postgres://postgres@127.0.0.1:$pg_port/$1"
}
