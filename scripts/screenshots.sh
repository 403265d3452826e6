#!/usr/bin/env bash
# Takes the README's screenshots again (docs/screenshots/*.png): builds the app, seeds a
# throwaway SQLite database, serves it on loopback and photographs the main pages with
# Chromium (end2end/screenshots.mjs), at a desktop size and on a phone.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
cargo leptos build
roster="${CARGO_TARGET_DIR:-target}/debug/roster"
dir=$(mktemp -d)
at_exit "rm -rf '$dir'"
export ROSTER_DATABASE_URL="sqlite://$dir/roster.db" ROSTER_LISTEN=127.0.0.1:3218 ROSTER_LOG=warn
export ROSTER_MAIL_OUTBOX="$dir/outbox"
email=admin@roster.example password="screenshots password"
"$roster" migrate
"$roster" seed --users 5000 --profiles 400 --per-user 4 --seed 7 >/dev/null
echo "$password" | "$roster" user create --email "$email" --name "Ada Admin" --admin
"$roster" serve &
server=$!
at_exit "kill $server 2>/dev/null || true"
for _ in $(seq 50); do
  curl -fs "http://$ROSTER_LISTEN/" >/dev/null && break
  sleep 0.2
done
mkdir -p docs/screenshots
(cd end2end && node screenshots.mjs "http://$ROSTER_LISTEN" "$email" "$password" ../docs/screenshots)
