#!/usr/bin/env bash
# Installs what building Roster needs, and with --tests what testing it needs too.
# Anything already installed at the right version is left alone, so a second run does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

CARGO_LEPTOS_VERSION=0.3.10   # 0.3.11 needs a newer rustc than these machines have
LEPTOSFMT_VERSION=0.1.33
AIOSMTPD_VERSION=1.4.6        # the SMTP server the tests send mail through
SCIM2_CLI_VERSION=0.6.0       # the SCIM conformance checker (python-scim's scim2-cli and
SCIM2_TESTER_VERSION=0.5.2    # scim2-tester), run against a live Roster
with_tests=0
[[ "${1:-}" == "--tests" ]] && with_tests=1

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "Adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if (( with_tests )); then
  # The tests begin by checking the code's form and lints.
  for component in rustfmt clippy; do
    if ! rustup component list --installed | grep -q "^$component"; then
      step "Adding the $component component"
      rustup component add "$component"
    fi
  done
  # rustfmt leaves view! macros alone; leptosfmt formats them.
  if ! leptosfmt --version 2>/dev/null | grep -q "$LEPTOSFMT_VERSION"; then
    step "Installing leptosfmt $LEPTOSFMT_VERSION"
    cargo install leptosfmt --version "$LEPTOSFMT_VERSION" --locked
  fi
  if ! .venv/bin/python -m pip show aiosmtpd 2>/dev/null | grep -qx "Version: $AIOSMTPD_VERSION"; then
    step "Installing aiosmtpd $AIOSMTPD_VERSION (the tests' SMTP server) into .venv"
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION"
  fi
  if ! .venv/bin/python -m pip show scim2-tester 2>/dev/null | grep -qx "Version: $SCIM2_TESTER_VERSION" \
    || ! .venv/bin/python -m pip show scim2-cli 2>/dev/null | grep -qx "Version: $SCIM2_CLI_VERSION"; then
    step "Installing scim2-cli $SCIM2_CLI_VERSION and scim2-tester $SCIM2_TESTER_VERSION into .venv"
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check \
      "scim2-cli==$SCIM2_CLI_VERSION" "scim2-tester==$SCIM2_TESTER_VERSION"
  fi
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  step "Installing cargo-leptos $CARGO_LEPTOS_VERSION (takes 10+ minutes, once)"
  # no_downloads: cargo-leptos must not fetch its helpers from GitHub; they come from here.
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

# The wasm-bindgen CLI must be exactly the version of the crate in Cargo.lock.
wbg_version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wbg_version" ]]; then
  step "Installing wasm-bindgen-cli $wbg_version"
  cargo install wasm-bindgen-cli --version "$wbg_version" --force
fi

# npm packages from the committed lockfile: binaryen (wasm-opt) and, for tests, Playwright.
stamp=end2end/node_modules/.roster-lock
if [[ ! -f "$stamp" ]] || ! cmp -s end2end/package-lock.json "$stamp"; then
  step "Installing npm packages from end2end/package-lock.json"
  (cd end2end && npm ci --no-audit --no-fund)
  cp end2end/package-lock.json "$stamp"
fi
# wasm-opt (from binaryen) shrinks the release WASM; cargo-leptos finds it on PATH.
if ! command -v wasm-opt >/dev/null; then
  echo "wasm-opt is missing after installing end2end's npm packages (binaryen)" >&2
  exit 1
fi

if [[ "$with_tests" == 1 ]] && [[ ! -x /usr/bin/chromium ]]; then
  step "Installing Debian's Chromium for the browser tests"
  # Never 'npx playwright install': it downloads browsers, which these machines cannot.
  sudo_cmd=""
  [[ "$(id -u)" != 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi

step "Setup complete"
