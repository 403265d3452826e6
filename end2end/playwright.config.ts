// Roster's browser tests: every spec runs twice, with JavaScript (the islands live) and without.
import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ADMIN_EMAIL = "admin@e2e.test";
export const ADMIN_PASSWORD = "admin password for e2e";
// The server binary; scripts/test.sh sets this when cargo builds outside ./target.
const roster = process.env.ROSTER_BIN ?? "../target/debug/roster";
const port = Number(process.env.ROSTER_E2E_PORT ?? 3217);
const baseURL = `http://127.0.0.1:${port}`;
// A fresh SQLite file per run unless scripts/test.sh points the server at PostgreSQL.
const databaseUrl =
  process.env.ROSTER_E2E_DATABASE_URL ??
  `sqlite://${join(mkdtempSync(join(tmpdir(), "roster-e2e-")), "roster.db")}`;

// Where mail goes: the real SMTP server scripts/test.sh starts (the tests read its maildir),
// else an outbox folder. Set in the environment here, by the first process to read this file,
// so the test workers it starts read the same folder.
process.env.ROSTER_E2E_OUTBOX ??= join(mkdtempSync(join(tmpdir(), "roster-e2e-mail-")), "outbox");
process.env.ROSTER_E2E_MAIL_FROM ??= `roster-e2e-${process.pid}@test.invalid`;
const mail: Record<string, string> = process.env.ROSTER_TEST_SMTP_URL
  ? { ROSTER_SMTP_URL: process.env.ROSTER_TEST_SMTP_URL }
  : { ROSTER_MAIL_OUTBOX: process.env.ROSTER_E2E_OUTBOX };

export default defineConfig({
  testDir: "./tests",
  // A bound on a stuck test, not a speed check (speed is measured in BENCHMARKS.md): the
  // longest flows take about 25 s on an idle machine and twice that when the host is busy.
  timeout: 120_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      // Debian's Chromium; Playwright's own browser downloads are not reachable here.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [
    { name: "with-js", use: { javaScriptEnabled: true } },
    { name: "without-js", use: { javaScriptEnabled: false } },
  ],
  webServer: {
    // The database and an administrator made through the CLI, as an operator would (only
    // `serve` and `migrate` create a database), then the server.
    command:
      `${roster} migrate && ` +
      `echo "${ADMIN_PASSWORD}" | ${roster} user create --email ${ADMIN_EMAIL} --name "E2E Admin" --admin; ` +
      `exec ${roster} serve`,
    url: `${baseURL}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      ROSTER_LISTEN: `127.0.0.1:${port}`,
      ROSTER_DATABASE_URL: databaseUrl,
      ROSTER_LOG: "warn",
      // Every test signs up from this one address, more often than the default allows.
      ROSTER_SIGNUPS_PER_ADDRESS: "1000",
      // Ask for the password again at every change that may ask for it, so the tests see
      // those forms without waiting for a session's password to age.
      ROSTER_RECENT_PASSWORD_MINUTES: "0",
      ROSTER_PUBLIC_URL: baseURL,
      ROSTER_MAIL_FROM: `Roster <${process.env.ROSTER_E2E_MAIL_FROM}>`,
      ...mail,
    },
  },
});
