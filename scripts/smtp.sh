# Sourced by test.sh: a real SMTP server on loopback for the tests to send mail through,
# Python's aiosmtpd (installed by `scripts/setup.sh --tests` into .venv), which keeps every
# message it receives in a maildir the tests read. Stopped when the script exits. Needs
# scripts/env.sh (at_exit).

# Starts the server; sets smtp_url to reach it and maildir to the folder it writes.
start_test_smtp() {
  local dir port
  dir=$(mktemp -d /tmp/roster-smtp.XXXXXX)
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  maildir="$dir/maildir"
  .venv/bin/python -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$maildir" \
    >"$dir/log" 2>&1 &
  local pid=$!
  at_exit "kill $pid 2>/dev/null || true; rm -rf '$dir'"
  # Ready once it answers.
  for _ in $(seq 50); do
    if python3 -c "import smtplib; smtplib.SMTP('127.0.0.1', $port, timeout=1).quit()" 2>/dev/null; then
      smtp_url="smtp://127.0.0.1:$port"
      return
    fi
    sleep 0.2
  done
  echo "the test SMTP server did not start; its log:" >&2
  cat "$dir/log" >&2
  return 1
}
