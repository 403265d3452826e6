import {
  expect,
  hydrated,
  mailedLink,
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

test("a wrong password is refused with a clear message", async ({ page, javaScriptEnabled }) => {
  const email = uniqueEmail("grace");
  await register(page, email, "Grace Hopper");
  await signOut(page);

  await signIn(page, email, "not the password");
  await expect(page.getByRole("alert")).toHaveText("Incorrect email or password.");
  await expect(signedInAs(page)).toHaveCount(0);
  // What was typed stays (the page came back without JavaScript: except the password); the
  // address stays clean.
  const form = page.getByRole("form", { name: "Sign in" });
  await expect(form.getByLabel("Email")).toHaveValue(email);
  if (!javaScriptEnabled) await expect(form.getByLabel("Password")).toHaveValue("");
  await expect(page).not.toHaveURL(/__err|__path/);
  // The error was said once: a reload shows the form as new.
  await page.reload();
  await expect(page.getByRole("alert")).toHaveCount(0);
});

test("an unknown email gets the same message as a wrong password", async ({ page }) => {
  await signIn(page, uniqueEmail("nobody"), PASSWORD);
  await expect(page.getByRole("alert")).toHaveText("Incorrect email or password.");
});

test("registering a taken address answers the same and tells its owner", async ({ page, browser }) => {
  const email = uniqueEmail("alan");
  await register(page, email, "Alan Turing");

  const other = await browser.newPage();
  await submitRegistration(other, email.toUpperCase(), "Someone Else");
  await expect(other.getByTestId("registration-sent")).toBeVisible();
  await expect(signedInAs(other)).toHaveCount(0);
  // The owner hears of it, with a way back in if it was them.
  expect(await mailedLink(email, "/forgot", 2)).toBe("/forgot");
  await other.close();
  await page.reload();
  await expect(signedInAs(page)).toContainText("Alan Turing");
});

test("signing in before confirming says to confirm, and a new link can be sent", async ({ page }) => {
  const email = uniqueEmail("ida");
  await submitRegistration(page, email, "Ida Rhodes");
  await expect(page.getByTestId("registration-sent")).toBeVisible();
  await signIn(page, email);
  await expect(page.getByTestId("confirm-notice")).toContainText("isn't confirmed yet");
  await expect(signedInAs(page)).toHaveCount(0);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send the link again" }).click();
  await expect(page.getByTestId("confirm-notice")).toContainText("a new link is on its way");
  // The first link stopped working; the new one opens the account.
  const first = await mailedLink(email, "/confirm?token=", 1);
  const second = await mailedLink(email, "/confirm?token=", 2);
  await page.goto(first);
  await page.getByRole("button", { name: "Confirm my address" }).click();
  await expect(page.getByRole("alert")).toContainText("This link has expired or has already been used.");
  await page.goto(second);
  await page.getByRole("button", { name: "Confirm my address" }).click();
  await expect(signedInAs(page)).toContainText("Ida Rhodes");
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
  // Registering (confirmed by its link) and the other browser: two sign-ins, summed up.
  await expect(page.getByTestId("sign-ins")).toContainText("2 times");
  await expect(page.getByTestId("sign-ins")).toContainText(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC from 127\.0\.0\.1/);
  await expect(page.getByTestId("email-state")).toHaveText("confirmed");
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
