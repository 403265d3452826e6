import AxeBuilder from "@axe-core/playwright";
import { type Page } from "@playwright/test";

import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  expect,
  hydrated,
  invitationLink,
  signedInAs,
  signIn,
  signOut,
  test,
} from "./helpers";

/** axe-core's findings on the page as it is now, one line each, to read in a failure. */
async function violations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.flatMap((v) =>
    v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(" ")} — ${n.failureSummary?.split("\n")[1] ?? ""}`),
  );
}

/** Audits each page at `paths` in one colour scheme: every finding, page by page. */
async function audit(page: Page, paths: string[], scheme: "light" | "dark"): Promise<string[]> {
  await page.emulateMedia({ colorScheme: scheme });
  const found: string[] = [];
  for (const path of paths) {
    await page.goto(path);
    await hydrated(page);
    found.push(...(await violations(page)).map((v) => `${path} (${scheme}): ${v}`));
  }
  return found;
}

/** Signs the admin in and makes a profile with a bulk preview: the signed-in pages to audit. */
async function signedInPages(page: Page): Promise<string[]> {
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(signedInAs(page)).toContainText("E2E Admin");
  const nonce = Math.random().toString(36).slice(2, 8);
  await page.goto("/profiles");
  await page.getByLabel("Name", { exact: true }).fill(`Audit ${nonce}`);
  await page.getByLabel("Description (optional)").fill("Checked by axe-core.\nOn two lines.");
  await page.getByRole("button", { name: "Create profile" }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Audit ${nonce}` })).toBeVisible();
  const profile = new URL(page.url()).pathname;
  const me = await page.getByTestId("signed-in-as").getByRole("link").getAttribute("href");
  // An invitation waiting on the profile, and the page its link lands on.
  const invited = `invited.${nonce}@example.com`;
  await page.getByLabel("Name or email of the person to add").fill(invited);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByTestId("invitations")).toContainText(invited);
  const invitation = await invitationLink(invited);
  await page.goto(profile);
  // A bulk change's preview, with a row for each kind of answer.
  await page.getByLabel(/^Emails, one per line/).fill(`${ADMIN_EMAIL}\nnobody.${nonce}@example.com`);
  await page.getByRole("button", { name: "Preview", exact: true }).last().click();
  await expect(page.getByRole("heading", { name: "Preview: nothing has changed yet" })).toBeVisible();
  const bulk = new URL(page.url()).pathname;
  // An access review under way, with its table of decisions.
  await page.goto(`${profile}/review`);
  await page.getByRole("button", { name: "Start a review" }).click();
  await expect(page.getByTestId("review-progress")).toBeVisible();
  await page.goto("/roles");
  const admin = await page.getByRole("link", { name: "admin", exact: true }).getAttribute("href");
  return [
    "/",
    "/profiles",
    profile,
    `${profile}/history`,
    `${profile}/access`,
    `${profile}/settings`,
    `${profile}/review`,
    `${profile}/invitations`,
    `${profile}/copy`,
    `${profile}/why/${me!.split("/").pop()}`,
    bulk,
    "/profiles/all",
    "/users",
    `${me}`,
    `${me}/security`,
    "/roles",
    `${admin}`,
    "/account",
    "/account/tokens",
    "/account/confirm-password",
    invitation,
  ];
}

const SIGNED_OUT = ["/", "/signin", "/register", "/forgot", "/confirm", "/reset", "/setup", "/nowhere", "/api/v1/docs"];

// axe-core runs as a script in the page, which a browser without JavaScript won't run; the
// server's HTML is the same either way, and the with-js run audits it. A test per scheme and
// per side of signing in keeps each well within the time limit on a slow machine.
for (const scheme of ["light", "dark"] as const) {
  test(`every signed-out page passes an accessibility audit in ${scheme}`, async ({ page, javaScriptEnabled }) => {
    test.skip(!javaScriptEnabled, "axe-core needs JavaScript in the page");
    expect(await audit(page, SIGNED_OUT, scheme)).toEqual([]);
  });

  test(`every signed-in page passes an accessibility audit in ${scheme}`, async ({ page, javaScriptEnabled }) => {
    test.skip(!javaScriptEnabled, "axe-core needs JavaScript in the page");
    expect(await audit(page, await signedInPages(page), scheme)).toEqual([]);
    await signOut(page);
  });
}
