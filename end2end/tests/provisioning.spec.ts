import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  createProfile,
  expect,
  membersTable,
  signedInAs,
  signIn,
  test,
} from "./helpers";

// An admin links a profile to an identity provider's token; the provider then keeps its
// members over SCIM, the page says so and offers no member forms, until the admin takes it
// back.
test("a profile linked to an identity provider changes its members only over SCIM", async ({
  page,
  playwright,
  baseURL,
}) => {
  const nonce = Math.random().toString(36).slice(2, 8);
  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(signedInAs(page)).toContainText("E2E Admin");
  await page.goto("/account/tokens");
  const form = page.getByRole("form", { name: "New service token" });
  await form.getByLabel("Name").fill(`IdP ${nonce}`);
  await form.getByRole("checkbox", { name: /^read:/ }).uncheck();
  await form.getByRole("checkbox", { name: /^scim:/ }).check();
  // Asked for only when the session's password isn't recent.
  const password = form.getByLabel("Your password");
  if (await password.count()) await password.fill(ADMIN_PASSWORD);
  await form.getByRole("button", { name: "Make token" }).click();
  const secret = await page.getByTestId("new-token-secret").inputValue();
  expect(secret).toMatch(/^roster_/);

  await createProfile(page, `Provisioned ${nonce}`);
  const profile = new URL(page.url()).pathname;
  const group = profile.split("/").pop();
  await page.goto(`${profile}/settings`);
  await page.getByLabel("The provider's token").selectOption({ label: `IdP ${nonce}` });
  await page.getByRole("button", { name: "Link to the provider" }).click();
  await expect(page.getByTestId("provider-notice")).toContainText(`IdP ${nonce}`);
  await expect(page.getByLabel("Name or email of the person to add")).toHaveCount(0);

  // The provider makes a person and puts them on the profile.
  const scim = await playwright.request.newContext({ baseURL });
  const headers = { Authorization: `Bearer ${secret}`, "Content-Type": "application/scim+json" };
  const email = `scim.${nonce}@example.com`;
  const made = await scim.post("/scim/v2/Users", {
    headers,
    data: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: email, displayName: `Sam ${nonce}` },
  });
  expect(made.status()).toBe(201);
  const person = (await made.json()).id;
  const patched = await scim.patch(`/scim/v2/Groups/${group}`, {
    headers,
    data: {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "Add", path: "members", value: [{ value: person }] }],
    },
  });
  expect(patched.status()).toBe(200);
  await scim.dispose();
  await page.goto(profile);
  await expect(membersTable(page)).toContainText(`Sam ${nonce}`);

  // Taken back: its managers change its members here again.
  await page.goto(`${profile}/settings`);
  await page.getByRole("button", { name: "Take back from the provider" }).click();
  await expect(page.getByTestId("provider-notice")).toHaveCount(0);
  await expect(page.getByLabel("Name or email of the person to add")).toBeVisible();
});
