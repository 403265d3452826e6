#!/usr/bin/env bash
# Roster's benchmark, documented in BENCHMARKS.md: installs wrk and sqlite3 if missing, builds
# the release, seeds each scale into a fresh database, and measures at 64 connections.
#   scripts/bench.sh                  # SQLite: a fresh file per scale
#   scripts/bench.sh --db postgres    # PostgreSQL: a throwaway cluster, a database per scale
# Other arguments go to scripts/bench.py (such as --scales 100k).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

db=sqlite
args=()
while (($#)); do
  case "$1" in
    --db) db="$2"; shift 2 ;;
    --db=*) db="${1#--db=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
[[ "$db" == sqlite || "$db" == postgres ]] || { echo "--db is sqlite or postgres" >&2; exit 2; }

if ! command -v wrk >/dev/null || ! command -v sqlite3 >/dev/null || ! command -v psql >/dev/null; then
  echo "Installing wrk, sqlite3 and psql (Debian packages)…"
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y wrk sqlite3 postgresql-client
fi

build_release   # scripts/env.sh
target_dir=${CARGO_TARGET_DIR:-target}
[[ "$target_dir" == /* ]] || target_dir="$PWD/$target_dir"

if [[ "$db" == postgres ]]; then
  source scripts/postgres.sh
  postgres_installed || { echo "PostgreSQL's server binaries are not installed (/usr/lib/postgresql/*/bin)" >&2; exit 1; }
  # Durable like the SQLite runs (fsync and synchronous commits on), with a cache sized for
  # a 24 GB machine: a quarter of it as shared buffers, the rest counted on as the OS cache.
  start_throwaway_postgres -c shared_buffers=6GB -c effective_cache_size=16GB -c max_connections=100
  create_postgres_database roster_100k >/dev/null
  create_postgres_database roster_10m >/dev/null
  args+=(--postgres "${pg_url%/postgres}/roster_{scale}")
fi
python3 scripts/bench.py --binary "$target_dir/release/roster" --site "$target_dir/site" "${args[@]}"
