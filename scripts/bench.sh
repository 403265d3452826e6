#!/usr/bin/env bash
# Roster's benchmark, documented in BENCHMARKS.md: installs wrk and sqlite3 if missing, builds
# the release, seeds each scale into a fresh SQLite file, and measures at 64 connections.
# Arguments go to scripts/bench.py (such as --scales 100k).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

if ! command -v wrk >/dev/null || ! command -v sqlite3 >/dev/null; then
  echo "Installing wrk and sqlite3 (Debian packages)…"
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y wrk sqlite3
fi

build_release   # scripts/env.sh
target_dir=${CARGO_TARGET_DIR:-target}
[[ "$target_dir" == /* ]] || target_dir="$PWD/$target_dir"
exec python3 scripts/bench.py --binary "$target_dir/release/roster" --site "$target_dir/site" "$@"
