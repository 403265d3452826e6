import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  expect,
  mailedLink,
  PASSWORD,
  register,
  signedInAs,
  signIn,
  signOut,
  test,
  uniqueEmail,
} from "./helpers";

const NEW_PASSWORD = "a brand new password";
const UNUSABLE = "This link has expired or has already been used.";

test("a forgotten password is reset by a mailed link that works once", async ({ page, browser }) => {
  const email = uniqueEmail("ada");
  await register(page, email, "Ada Lovelace");

  // Somewhere else, the owner has forgotten the password.
  const context = await browser.newContext();
  const elsewhere = await context.newPage();
  await elsewhere.goto("/signin");
  await elsewhere.getByRole("link", { name: "Forgot your password?" }).click();
  await elsewhere.getByLabel("Email").fill(email);
  await elsewhere.getByRole("button", { name: "Send me a link" }).click();
  await expect(elsewhere.getByTestId("reset-sent")).toContainText("a link to set a new password is on its way");

  const link = await mailedLink(email, "/reset?token=", 2);
  await elsewhere.goto(link);
  await elsewhere.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await elsewhere.getByRole("button", { name: "Set password" }).click();
  await expect(elsewhere).toHaveURL(/\/account\?reset=1$/);
  await expect(elsewhere.getByTestId("password-reset")).toBeVisible();
  await expect(signedInAs(elsewhere)).toContainText("Ada Lovelace");

  // The session that was open before is over.
  await page.reload();
  await expect(signedInAs(page)).toHaveCount(0);
  await signIn(page, email, NEW_PASSWORD);
  await expect(signedInAs(page)).toContainText("Ada Lovelace");

  // The link worked once.
  await elsewhere.goto("/");
  await signOut(elsewhere);
  await elsewhere.goto(link);
  await elsewhere.getByLabel("New password", { exact: true }).fill("yet another password");
  await elsewhere.getByRole("button", { name: "Set password" }).click();
  await expect(elsewhere.getByRole("alert")).toContainText(UNUSABLE);
  await expect(elsewhere.getByRole("link", { name: "Ask for a new one" })).toBeVisible();
  await context.close();
});

test("asking for a reset link answers the same for an address with no account", async ({ page }) => {
  await page.goto("/forgot");
  await page.getByLabel("Email").fill(uniqueEmail("nobody"));
  await page.getByRole("button", { name: "Send me a link" }).click();
  await expect(page.getByTestId("reset-sent")).toBeVisible();
});

test("an admin mails a reset link from a person's page, and it shows in their log", async ({ page, browser }) => {
  const email = uniqueEmail("grace");
  const context = await browser.newContext();
  const grace = await context.newPage();
  await register(grace, email, "Grace Hopper");

  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(signedInAs(page)).toContainText("E2E Admin");
  await page.goto(`/users?q=${encodeURIComponent(email)}`);
  await page.getByRole("link", { name: "Grace Hopper" }).click();
  await page.getByRole("button", { name: "Send a password reset link" }).click();
  await expect(page.getByTestId("reset-link-sent")).toBeVisible();
  await mailedLink(email, "/reset?token=", 2);

  await grace.goto("/account");
  await grace.getByRole("link", { name: "Your security log" }).click();
  const log = grace.getByTestId("security-log");
  await expect(log.locator("tr[data-kind=reset_link_sent]")).toContainText("(by E2E Admin)");
  await expect(log.locator("tr[data-kind=signed_in]")).toHaveCount(1);
  await context.close();
});

test("the account page lists where you're signed in and signs another browser out", async ({ page, browser }) => {
  const email = uniqueEmail("hedy");
  await register(page, email, "Hedy Lamarr");
  const context = await browser.newContext();
  const other = await context.newPage();
  await signIn(other, email);
  await expect(signedInAs(other)).toContainText("Hedy Lamarr");

  await page.goto("/account");
  const sessions = page.getByTestId("sessions");
  await expect(sessions.locator("tbody tr")).toHaveCount(2);
  await expect(sessions.locator("tr[data-current]")).toContainText("This browser");
  await sessions.locator("tr:not([data-current])").getByRole("button", { name: /^Sign out / }).click();
  await expect(page.getByTestId("session-ended")).toBeVisible();
  await expect(sessions.locator("tbody tr")).toHaveCount(1);

  await other.reload();
  await expect(signedInAs(other)).toHaveCount(0);
  await context.close();
});

test("change your name at once, and your email through a link to the new address", async ({ page }) => {
  const email = uniqueEmail("grace");
  const newEmail = uniqueEmail("grace.new");
  await register(page, email, "Grace Brewster");
  await page.goto("/account");
  await page.getByLabel("Display name").fill("Grace Hopper");
  await page.getByRole("button", { name: "Change name" }).click();
  await expect(page.getByTestId("identity-notice")).toHaveText("Your name is changed.");
  await expect(signedInAs(page)).toContainText("Grace Hopper");

  const form = page.getByRole("form", { name: "Change your email" });
  await form.getByLabel("New email").fill(newEmail);
  await form.getByLabel("Your password").fill(PASSWORD);
  await form.getByRole("button", { name: "Send a link to the new address" }).click();
  await expect(page.getByTestId("identity-notice")).toContainText("A link is on its way to your new address.");
  await page.goto(await mailedLink(newEmail, "/confirm?token="));
  await page.getByRole("button", { name: "Confirm my address" }).click();
  await expect(page.getByTestId("confirm-notice")).toContainText("uses its new address now");
  // The old address hears of it.
  expect(await mailedLink(email, "/forgot", 2)).toBe("/forgot");
  await page.goto("/");
  await signOut(page);
  await signIn(page, newEmail);
  await expect(signedInAs(page)).toContainText("Grace Hopper");
});
