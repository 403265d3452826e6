import { expect, PASSWORD, register, test, uniqueEmail } from "./helpers";

test("a token is made, shown once, used over the API and revoked", async ({ page, playwright, baseURL }) => {
  const email = uniqueEmail("tess");
  await register(page, email, "Tess Token");
  await page.goto("/account");
  await page.getByRole("link", { name: "Access tokens" }).click();
  await expect(page.getByTestId("empty")).toContainText("No tokens yet.");

  await page.getByLabel("Name").fill("laptop script");
  await page.getByRole("checkbox", { name: /^write:/ }).check();
  // Making a token hands out power: a session that signed in by its mailed link confirms
  // the password first.
  await page.getByLabel("Your password").fill(PASSWORD);
  await page.getByRole("button", { name: "Make token" }).click();
  const secret = await page.getByTestId("new-token-secret").inputValue();
  expect(secret).toMatch(/^roster_/);
  await expect(page.getByTestId("personal-tokens")).toContainText("laptop script");
  await expect(page.getByTestId("personal-tokens")).toContainText("read, write");

  // The token works with no cookie at all, as a script sends it.
  const api = await playwright.request.newContext({ baseURL });
  const auth = { Authorization: `Bearer ${secret}` };
  const me = await api.get("/api/v1/me", { headers: auth });
  expect(me.status()).toBe(200);
  expect((await me.json()).person.email).toBe(email);
  const made = await api.post("/api/v1/profiles", { headers: auth, data: { name: `Scripted ${Date.now()}` } });
  expect(made.status()).toBe(201);

  // Shown once: the page again has no secret on it, and says when it was last used.
  await page.reload();
  await expect(page.getByTestId("new-token")).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);
  await expect(page.locator('[data-testid=personal-tokens] td[data-label="Last used"]')).not.toHaveText("Never");

  await page.getByRole("button", { name: "Revoke laptop script" }).click();
  await expect(page.getByTestId("token-revoked")).toBeVisible();
  await expect(page.getByTestId("empty")).toContainText("No tokens yet.");
  expect((await api.get("/api/v1/me", { headers: auth })).status()).toBe(401);
  await api.dispose();
});

test("a token's form says what is wrong and keeps the page", async ({ page }) => {
  await register(page, uniqueEmail("tim"), "Tim Token");
  await page.goto("/account/tokens");
  await page.getByLabel("Name").fill("nothing at all");
  await page.getByRole("checkbox", { name: /^read:/ }).uncheck();
  await page.getByLabel("Your password").fill(PASSWORD);
  await page.getByRole("button", { name: "Make token" }).click();
  await expect(page.getByRole("alert")).toContainText("Choose at least one scope.");
  await expect(page.getByTestId("empty")).toContainText("No tokens yet.");
});

test("the API reference lists every operation", async ({ page }) => {
  await page.goto("/api/v1/docs");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Roster API");
  await expect(page.getByTestId("operation").first()).toBeVisible();
  await expect(page.getByRole("heading", { name: "PUT /api/v1/profiles/{id}/members/{user_id}" })).toBeVisible();
});
