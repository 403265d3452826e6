# Sourced by test.sh: runs the SCIM conformance checker (python-scim's `scim2 test`, from
# scim2-cli and scim2-tester, installed by `scripts/setup.sh --tests` into .venv) against a
# live Roster. Needs scripts/env.sh (at_exit) and ROSTER_BIN.

# The checks the checker may skip, each with the reason it must give and why Roster may
# leave it out. Any other skip, and any error, fails the run.
#   search_with_attributes: POST /.search at the service provider's root searches every
#   resource type at once. RFC 7644 §3.4.3 makes it optional; Roster answers 501, and
#   searching one type (POST /Users/.search, /Groups/.search) works.
scim_allowed_skips=(
  "search_with_attributes|searching several resource types at once is not supported"
)

# Runs the checker against a Roster on `$1` (a database URL); fails unless every check
# passes or is an allowed skip.
run_scim_checker() {
  local database_url=$1 dir port pid token
  dir=$(mktemp -d /tmp/roster-scim.XXXXXX)
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$dir/roster.toml" <<TOML
database_url = "$database_url"
listen = "127.0.0.1:$port"
public_url = "http://127.0.0.1:$port"
email_confirmation = "off"
mail_outbox = "$dir/outbox"
TOML
  "$ROSTER_BIN" --config "$dir/roster.toml" migrate >"$dir/migrate.log" 2>&1
  token=$("$ROSTER_BIN" --config "$dir/roster.toml" token create --name "conformance checker" --scope scim 2>/dev/null)
  "$ROSTER_BIN" --config "$dir/roster.toml" >"$dir/server.log" 2>&1 &
  pid=$!
  at_exit "kill $pid 2>/dev/null || true; rm -rf '$dir'"
  for _ in $(seq 100); do
    # Up once it answers (401: the checker brings the token).
    curl -so /dev/null "http://127.0.0.1:$port/scim/v2/ServiceProviderConfig" && break
    sleep 0.2
  done
  SCIM_CLI_HEADERS="Authorization: Bearer $token" \
    .venv/bin/scim2 --url "http://127.0.0.1:$port/scim/v2" test >"$dir/checks.txt" 2>&1 || true
  kill "$pid" 2>/dev/null || true
  python3 - "$dir/checks.txt" "${scim_allowed_skips[@]}" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
allowed = [entry.split("|", 1) for entry in sys.argv[2:]]
results, failed = [], []
for i, line in enumerate(lines):
    status, _, name = line.partition(" ")
    if status in ("SUCCESS", "ERROR", "SKIPPED"):
        reason = lines[i + 1].strip() if i + 1 < len(lines) and lines[i + 1].startswith(" ") else ""
        results.append((status, name, reason))
for status, name, reason in results:
    if status == "ERROR" or (status == "SKIPPED" and not any(n == name and r in reason for n, r in allowed)):
        failed.append(f"{status} {name}: {reason}")
passed = sum(1 for r in results if r[0] == "SUCCESS")
skipped = sum(1 for r in results if r[0] == "SKIPPED")
if not results or failed:
    print("\n".join(lines), file=sys.stderr)
    print(f"\nSCIM conformance: {len(failed)} failing check(s):", *failed, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print(f"SCIM conformance: {passed} checks passed, {skipped} allowed skip(s).")
PY
}
