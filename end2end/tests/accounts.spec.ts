import {
  expect,
  hydrated,
  PASSWORD,
  register,
  signedInAs,
  signIn,
  signOut,
  submitRegistration,
  test,
  uniqueEmail,
} from "./helpers";

test("register, sign out, sign in again and see your name", async ({ page }) => {
  const email = uniqueEmail("ada");
  await register(page, email, "Ada Lovelace");
  await expect(page).toHaveURL("/");
  await expect(signedInAs(page)).toContainText("Ada Lovelace");
  await expect(page.getByRole("heading", { name: "Welcome, Ada Lovelace" })).toBeVisible();

  await signOut(page);
  await expect(signedInAs(page)).toHaveCount(0);

  await signIn(page, email);
  await expect(page).toHaveURL("/");
  await expect(signedInAs(page)).toContainText("Ada Lovelace");
});

test("a wrong password is refused with a clear message", async ({ page }) => {
  const email = uniqueEmail("grace");
  await register(page, email, "Grace Hopper");
  await signOut(page);

  await signIn(page, email, "not the password");
  await expect(page.getByRole("alert")).toHaveText("Incorrect email or password.");
  await expect(signedInAs(page)).toHaveCount(0);
});

test("an unknown email gets the same message as a wrong password", async ({ page }) => {
  await signIn(page, uniqueEmail("nobody"), PASSWORD);
  await expect(page.getByRole("alert")).toHaveText("Incorrect email or password.");
});

test("a duplicate email is refused and the first account keeps its name", async ({ page, browser }) => {
  const email = uniqueEmail("alan");
  await register(page, email, "Alan Turing");
  await expect(signedInAs(page)).toContainText("Alan Turing");

  const other = await browser.newPage();
  await submitRegistration(other, email.toUpperCase(), "Someone Else");
  await expect(other.getByRole("alert")).toHaveText("An account with this email already exists.");
  await expect(signedInAs(other)).toHaveCount(0);
  await other.close();
});

test("an unknown address shows the not-found page", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
});

test("with JavaScript, a field is checked as soon as it changes", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "instant feedback needs the hydrated app");
  await page.goto("/register");
  // Wait for hydration: the instant check only exists once the WASM has taken over.
  await hydrated(page);
  const name = page.getByLabel("Display name");
  await name.fill("   ");
  await name.blur();
  await expect(page.getByText("Enter your name.")).toBeVisible();
  await expect(name).toHaveAttribute("aria-invalid", "true");
});

test("change the password, which signs out other browsers, then sign out everywhere", async ({ page, browser, javaScriptEnabled }) => {
  const email = uniqueEmail("pat");
  await register(page, email, "Pat Account");
  const other = await (await browser.newContext({ javaScriptEnabled })).newPage();
  await signIn(other, email);
  await expect(signedInAs(other)).toContainText("Pat Account");

  await page.getByRole("link", { name: "Account", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your account" })).toBeVisible();
  // A wrong current password is refused beside its field, and nothing changes.
  await page.getByLabel("Current password").fill("not the password");
  await page.getByLabel("New password").fill("a brand new secret");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("That is not your current password.")).toBeVisible();
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByLabel("New password").fill("a brand new secret");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("password-changed")).toBeVisible();
  await expect(signedInAs(page)).toContainText("Pat Account");
  // The other browser's session is over.
  await other.goto("/profiles");
  await expect(signedInAs(other)).toHaveCount(0);
  await signIn(other, email, "a brand new secret");
  await expect(signedInAs(other)).toContainText("Pat Account");

  // Sign out everywhere: both browsers are signed out.
  await page.goto("/account");
  await page.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(page).toHaveURL(/\/signin$/);
  await expect(signedInAs(page)).toHaveCount(0);
  await other.goto("/profiles");
  await expect(signedInAs(other)).toHaveCount(0);
  await other.context().close();
});
