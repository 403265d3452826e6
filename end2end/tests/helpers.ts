import { test as base, expect, type Page } from "@playwright/test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * Every spec uses this `test`: it fails a test on any uncaught page error or console error,
 * so a broken hydration can't hide behind pages that still work without JavaScript.
 */
export const test = base.extend<{ pageErrors: void }>({
  pageErrors: [
    async ({ page, javaScriptEnabled }, use) => {
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(`page error: ${err.message}`));
      page.on("console", (msg) => {
        // A 4xx answer from a server function is an expected outcome the page shows itself.
        if (msg.type() === "error" && !/status of 4\d\d/.test(msg.text())) errors.push(`console: ${msg.text()}`);
      });
      await use();
      if (javaScriptEnabled && !page.isClosed() && page.url().startsWith("http")) {
        await hydrated(page);
      }
      expect(errors, "no errors in the browser").toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

export const PASSWORD = "correct horse battery";

/** An email no other test (or earlier run on the same database) has used. */
export function uniqueEmail(who: string): string {
  const nonce = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  return `${who}.${nonce}@example.com`;
}

/**
 * Registers as a person does with the server's default settings: the form, then the link that
 * arrives by mail to confirm the address, which opens the account and signs it in. Waits
 * until the header shows the new account as signed in.
 */
export async function register(page: Page, email: string, name: string, password = PASSWORD) {
  await submitRegistration(page, email, name, password);
  await expect(page.getByTestId("registration-sent")).toBeVisible();
  await page.goto(await mailedLink(email, "/confirm?token="));
  await page.getByRole("button", { name: "Confirm my address" }).click();
  await expect(signedInAs(page)).toContainText(name);
}

/** Fills in and submits the registration form, without waiting for the outcome. */
export async function submitRegistration(page: Page, email: string, name: string, password = PASSWORD) {
  await page.goto("/register");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Display name").fill(name);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
}

export async function signIn(page: Page, email: string, password = PASSWORD) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Sign in" })).toBeVisible();
}

/**
 * Waits until the page's islands are live. A page that is still loading its WASM works as
 * plain HTML, so only checks of what the islands add need this.
 */
export async function hydrated(page: Page) {
  await expect(page.locator("html"), "the page hydrated").toHaveAttribute("data-hydrated", "");
}

export function signedInAs(page: Page) {
  return page.getByTestId("signed-in-as");
}

export { ADMIN_EMAIL, ADMIN_PASSWORD } from "../playwright.config";

/** Creates a profile from "My profiles" and returns its page's path. */
export async function createProfile(page: Page, name: string, description = "") {
  await page.goto("/profiles");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Description (optional)").fill(description);
  await page.getByRole("button", { name: "Create profile" }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  return new URL(page.url()).pathname;
}

export function membersTable(page: Page) {
  return page.getByTestId("members");
}

/**
 * Holds back the app's WASM until `release()`, so a test can act on the server-rendered page
 * the way someone on a slow connection does before it hydrates.
 */
export async function holdWasm(page: Page) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const pattern = "**/*.wasm";
  await page.route(pattern, async (route) => {
    await released;
    await route.continue();
  });
  return {
    /** Lets the WASM through, waits until the page has hydrated, and stops holding. */
    async hydrate() {
      release();
      await hydrated(page);
      await page.unroute(pattern);
    },
  };
}

/**
 * The link containing `path` in the `nth` (from 1) mail the server sent to `to`, once it has
 * arrived: at the real SMTP server scripts/test.sh starts (its maildir), or in the outbox.
 */
export async function mailedLink(to: string, path: string, nth = 1): Promise<string> {
  let found: string[] = [];
  await expect
    .poll(
      () => {
        found = mailTo(to);
        return found.length;
      },
      { message: `mail to ${to}`, timeout: 30_000 },
    )
    .toBeGreaterThanOrEqual(nth);
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const link = found[nth - 1].match(new RegExp(`https?://[^\\s"<>]*${escaped}[A-Za-z0-9_\\-]*`));
  expect(link, `a link with ${path}`).not.toBeNull();
  return new URL(link![0]).pathname + new URL(link![0]).search;
}

/** The `nth` invitation link mailed to `to` (its path and query), once it has arrived. */
export async function invitationLink(to: string, nth = 1): Promise<string> {
  let links: string[] = [];
  await expect
    .poll(
      () => {
        links = mailTo(to).flatMap((mail) => mail.match(/https?:\/\/[^\s"<>]*\/invitation\?token=[A-Za-z0-9_\-]*/) ?? []);
        return links.length;
      },
      { message: `an invitation to ${to}`, timeout: 30_000 },
    )
    .toBeGreaterThanOrEqual(nth);
  const url = new URL(links[nth - 1]);
  return url.pathname + url.search;
}

/** Accepts, on `page` (signed in as the invitee), the `nth` invitation mailed to `email`. */
export async function acceptInvitation(page: Page, email: string, nth = 1) {
  await page.goto(await invitationLink(email, nth));
  await page.getByRole("button", { name: "Accept and join" }).click();
  await expect(page.getByTestId("joined-notice")).toBeVisible();
}

/**
 * Adds `email`, an account the manager on `page` shares no profile with, as the default
 * directory has it: the add invites the address, and the invitee (signed in on `invitee`)
 * accepts from the mailed link. Ends with `page` back on the profile, the invitee on it.
 */
export async function inviteAndAccept(page: Page, invitee: Page, email: string, access = "member") {
  const path = new URL(page.url()).pathname;
  await page.getByLabel("Name or email of the person to add").fill(email);
  await page.getByLabel("As", { exact: true }).selectOption(access);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByTestId("invitation-notice")).toContainText(`Invited ${email} as ${access}`);
  await acceptInvitation(invitee, email);
  await page.goto(path);
  await expect(membersTable(page).getByRole("row").filter({ hasText: email })).toBeVisible();
}

/** The plain text of every message from this run's server to `to`, oldest first. */
function mailTo(to: string): string[] {
  const maildir = process.env.ROSTER_TEST_MAILDIR;
  const folders = maildir ? [join(maildir, "new"), join(maildir, "cur")] : [process.env.ROSTER_E2E_OUTBOX!];
  const from = process.env.ROSTER_E2E_MAIL_FROM!;
  return folders
    .filter((folder) => existsSync(folder))
    .flatMap((folder) => readdirSync(folder).map((name) => join(folder, name)))
    .filter((file) => file.endsWith(".eml") || !!maildir)
    .map((file) => ({ file, at: statSync(file).mtimeMs }))
    .sort((a, b) => a.at - b.at)
    .map(({ file }) => readFileSync(file, "utf8").replace(/\r\n/g, "\n"))
    .filter((mail) => header(mail, "From").includes(from) && header(mail, "To").toLowerCase() === to.toLowerCase())
    .map(plainText);
}

/** A header's value from the head of `mail` (or of one of its parts). */
function header(mail: string, name: string): string {
  const head = mail.split("\n\n", 1)[0];
  const match = head.match(new RegExp(`^${name}: (.*)$`, "mi"));
  return match ? match[1].trim() : "";
}

/** The text/plain part of a multipart message, its transfer encoding undone. */
function plainText(mail: string): string {
  const boundary = mail.match(/boundary="?([^"\n]+)"?/)?.[1];
  const parts = boundary ? mail.split(`--${boundary}`) : [mail];
  const part = parts.map((p) => p.replace(/^\n/, "")).find((p) => header(p, "Content-Type").startsWith("text/plain"));
  if (!part) return "";
  const body = part.slice(part.indexOf("\n\n") + 2);
  if (header(part, "Content-Transfer-Encoding") !== "quoted-printable") return body;
  return body.replace(/=\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}
