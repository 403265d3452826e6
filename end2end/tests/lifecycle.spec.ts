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
