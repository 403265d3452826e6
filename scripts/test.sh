#!/usr/bin/env bash
# Runs every test: Rust unit and integration tests on SQLite and on PostgreSQL, then the
# SCIM conformance checker and the browser tests with and without JavaScript, on both
# databases; mail goes through a real SMTP server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
source scripts/env.sh

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step "Checking the code's form and lints"
leptosfmt --check --quiet src
cargo fmt --check
cargo clippy --all-targets --features ssr -- -D warnings
cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings

# Mail goes through a real SMTP server on loopback; the tests read what it received.
source scripts/smtp.sh
step "Starting a throwaway SMTP server (aiosmtpd)"
start_test_smtp
export ROSTER_TEST_SMTP_URL="$smtp_url" ROSTER_TEST_MAILDIR="$maildir"

step "Rust tests on SQLite"
cargo test --features ssr

# A throwaway PostgreSQL cluster, when PostgreSQL's server binaries are here.
source scripts/postgres.sh
pg_url=""
if postgres_installed; then
  step "Starting a throwaway PostgreSQL cluster ($pg_bin)"
  # No autovacuum: tests/plans.rs judges the plans made before any table is analyzed, and
  # an analyze landing halfway through it would change them.
  start_throwaway_postgres -c fsync=off -c autovacuum=off
  step "Rust tests on PostgreSQL"
  ROSTER_TEST_POSTGRES_URL="$pg_url" cargo test --features ssr --tests
else
  printf '\n\033[1;31m%s\033[0m\n' \
    "!!! PostgreSQL's server binaries were not found (/usr/lib/postgresql/*/bin):" \
    "!!! SKIPPING every PostgreSQL test. Install postgresql to run them."
fi

step "Building the app for the browser tests"
cargo leptos build

# The server the browser tests start: wherever cargo put it.
target_dir=${CARGO_TARGET_DIR:-target}
[[ "$target_dir" == /* ]] || target_dir="$PWD/$target_dir"
export ROSTER_BIN="$target_dir/debug/roster"

# The SCIM conformance checker nobody here wrote, against a live server on each database.
source scripts/scim_check.sh
step "SCIM conformance checker (scim2-tester) on SQLite"
run_scim_checker "sqlite://$(mktemp -d /tmp/roster-scim-db.XXXXXX)/roster.db"
if [[ -n "$pg_url" ]]; then
  step "SCIM conformance checker (scim2-tester) on PostgreSQL"
  run_scim_checker "$(create_postgres_database "roster_scim_$$")"
fi

step "Browser tests on SQLite, with and without JavaScript"
(cd end2end && npx playwright test)

if [[ -n "$pg_url" ]]; then
  step "Browser tests on PostgreSQL, with and without JavaScript"
  e2e_url=$(create_postgres_database "roster_e2e_$$")
  (cd end2end && ROSTER_E2E_DATABASE_URL="$e2e_url" npx playwright test)
fi

# The release build keeps its views' types, the debug build erases them, and each writes its
# own hydration marks: the islands must come alive against the release's own HTML too. Last,
# since both builds write the same site folder (`pkg/`), which the debug tests above read.
step "Building the release, and the browser tests with JavaScript against it"
build_release   # scripts/env.sh
(cd end2end && ROSTER_BIN="$target_dir/release/roster" npx playwright test --project=with-js)

step "All tests passed"
