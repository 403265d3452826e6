import { ADMIN_EMAIL, ADMIN_PASSWORD, expect, PASSWORD, register, signedInAs, signIn, test, uniqueEmail } from "./helpers";

test("an admin deactivates an account, which can't sign in, and reactivates it", async ({ page, browser }) => {
  const email = uniqueEmail("linus");
  const context = await browser.newContext();
  const linus = await context.newPage();
  await register(linus, email, "Linus Pauling");

  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(signedInAs(page)).toContainText("E2E Admin");
  await page.goto(`/users?q=${encodeURIComponent(email)}`);
  await page.getByRole("link", { name: "Linus Pauling" }).click();
  await page.getByRole("button", { name: "Deactivate account" }).click();
  await expect(page.getByTestId("deactivated")).toBeVisible();

  await linus.reload();
  await expect(signedInAs(linus)).toHaveCount(0);
  await signIn(linus, email);
  await expect(linus.getByRole("alert")).toContainText("This account has been deactivated.");

  await page.getByRole("button", { name: "Reactivate account" }).click();
  await expect(page.getByTestId("deactivated")).toHaveCount(0);
  await signIn(linus, email);
  await expect(signedInAs(linus)).toContainText("Linus Pauling");
  await context.close();
});

test("a person deletes their own account with their password", async ({ page }) => {
  const email = uniqueEmail("rosalind");
  await register(page, email, "Rosalind Franklin");
  await page.goto("/account");
  const form = page.getByRole("form", { name: "Delete my account" });
  await form.getByLabel("Your password").fill("not my password");
  await form.getByLabel("I understand").check();
  await form.getByRole("button", { name: "Delete my account" }).click();
  await expect(page.getByText("That is not your password.")).toBeVisible();

  await page.getByRole("form", { name: "Delete my account" }).getByLabel("Your password").fill(PASSWORD);
  await page.getByRole("form", { name: "Delete my account" }).getByLabel("I understand").check();
  await page.getByRole("form", { name: "Delete my account" }).getByRole("button", { name: "Delete my account" }).click();
  await expect(page.getByTestId("account-deleted")).toBeVisible();
  await expect(signedInAs(page)).toHaveCount(0);
  await signIn(page, email);
  await expect(page.getByRole("alert")).toHaveText("Incorrect email or password.");
});

// The test server asks for the password at every such change (ROSTER_RECENT_PASSWORD_MINUTES=0).
test("granting admin, revoking it and deleting an account ask for the password again", async ({ page, browser }) => {
  const email = uniqueEmail("emmy");
  const nonce = Math.random().toString(36).slice(2, 8);
  const context = await browser.newContext();
  await register(await context.newPage(), email, `Emmy ${nonce}`);
  await context.close();

  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(signedInAs(page)).toContainText("E2E Admin");
  await page.goto("/roles");
  await page.getByRole("link", { name: "admin", exact: true }).click();
  const grant = page.getByRole("form", { name: "Grant this role" });
  await grant.getByLabel("Grant to (email)").fill(email);
  await grant.getByLabel("Your password").fill("not my password");
  await grant.getByRole("button", { name: "Grant" }).click();
  await expect(page.getByText("That is not your password.")).toBeVisible();
  await expect(page.getByTestId("holders")).not.toContainText(`Emmy ${nonce}`);

  const again = page.getByRole("form", { name: "Grant this role" });
  await again.getByLabel("Grant to (email)").fill(email);
  await again.getByLabel("Your password").fill(ADMIN_PASSWORD);
  await again.getByRole("button", { name: "Grant" }).click();
  await expect(page.getByTestId("holders")).toContainText(`Emmy ${nonce}`);
  const rolePath = new URL(page.url()).pathname;

  // A row's "Remove" has no field of its own: the refusal links to the page that takes it.
  await page.getByRole("button", { name: `Remove this role from Emmy ${nonce}` }).click();
  await expect(page.getByRole("alert")).toContainText("Confirm it's you");
  await page.getByRole("link", { name: "Confirm your password" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Confirm it's you" })).toBeVisible();
  await page.getByLabel("Your password", { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect(page).toHaveURL(new RegExp(`${rolePath}$`));

  await page.getByRole("link", { name: `Emmy ${nonce}` }).click();
  const remove = page.getByRole("form", { name: "Delete account" });
  await remove.getByLabel("I understand").check();
  await remove.getByLabel("Your password").fill(ADMIN_PASSWORD);
  await remove.getByRole("button", { name: "Delete account" }).click();
  await expect(page).toHaveURL(/\/users\?deleted=1$/);
  await page.goto(`/users?q=${encodeURIComponent(email)}`);
  await expect(page.getByRole("link", { name: `Emmy ${nonce}` })).toHaveCount(0);
});
