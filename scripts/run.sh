#!/usr/bin/env bash
# Builds the release and serves Roster on http://127.0.0.1:3000. The SQLite file named in
# Leptos.toml is created and migrated on first start. Extra arguments go to `roster serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
build_release   # scripts/env.sh
# The binary finds its site in target/site, beside its own folder; no cargo-leptos needed.
exec "${CARGO_TARGET_DIR:-target}/release/roster" serve "$@"
