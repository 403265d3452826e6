import {
  acceptInvitation,
  createProfile,
  expect,
  hydrated,
  inviteAndAccept,
  membersTable,
  register,
  test,
  uniqueEmail,
} from "./helpers";

/** The date `days` from today (UTC), as a date field takes it. */
function day(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

test("a manager gives a membership a last day, moves it and takes it away; the history keeps each", async ({
  page,
  browser,
  javaScriptEnabled,
}) => {
  const nonce = Math.random().toString(36).slice(2, 8);
  await register(page, uniqueEmail("keeper"), `Keeper ${nonce}`);
  const path = await createProfile(page, `Term ${nonce}`);
  const guest = await (await browser.newContext({ javaScriptEnabled })).newPage();
  const email = uniqueEmail("temp");
  await register(guest, email, `Temp ${nonce}`);
  if (javaScriptEnabled) await hydrated(page);
  await inviteAndAccept(page, guest, email);

  // From the member's "why?" page: a last day, then a later one.
  const row = membersTable(page).getByRole("row").filter({ hasText: email });
  await row.getByRole("link", { name: `Why Temp ${nonce} has access` }).click();
  const section = page.getByTestId("end-of-access");
  await expect(section).toContainText("Their access doesn't end.");
  for (const last of [day(10), day(20)]) {
    if (javaScriptEnabled) await hydrated(page);
    await section.getByLabel("Last day of access").fill(last);
    await section.getByRole("button", { name: "Save the last day" }).click();
    await expect(page.getByTestId("end-saved")).toHaveText("The end of their access is saved.");
    await expect(page.getByTestId("end-of-access")).toContainText(`Their access ends after ${last} (UTC).`);
  }
  await expect(page.getByTestId("why")).toContainText(`It ends after ${day(20)} (UTC).`);
  // A day in the past is refused beside the form, and nothing changes.
  if (javaScriptEnabled) await hydrated(page);
  await section.getByLabel("Last day of access").fill(day(-2));
  await section.getByRole("button", { name: "Save the last day" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "can't be in the past" })).toBeVisible();
  await page.goto(path);
  await expect(membersTable(page).getByRole("row").filter({ hasText: email })).toContainText(`until ${day(20)}`);

  // The member sees their own end, and has no form to change it.
  await guest.goto(path);
  await expect(membersTable(guest).getByRole("row").filter({ hasText: email })).toContainText(`until ${day(20)}`);

  // Taken away again.
  await page.goto(new URL(page.url()).pathname);
  await membersTable(page).getByRole("row").filter({ hasText: email }).getByRole("link", { name: /^Why/ }).click();
  if (javaScriptEnabled) await hydrated(page);
  await page.getByRole("button", { name: "Remove the end" }).click();
  await expect(page.getByTestId("end-of-access")).toContainText("Their access doesn't end.");
  await page.goto(`${path}/history`);
  const changes = page.getByTestId("end-changes");
  await expect(changes.getByRole("row")).toHaveCount(4);
  await expect(changes.getByRole("row").nth(1)).toContainText(`end cleared (last day was ${day(20)})`);
  await expect(changes.getByRole("row").nth(2)).toContainText(`last day moved from ${day(10)} to ${day(20)}`);
  await expect(changes.getByRole("row").nth(3)).toContainText(`last day set to ${day(10)}`);
  await guest.context().close();
});

test("an invitation with a last day makes a membership that ends then", async ({ page, browser, javaScriptEnabled }) => {
  const nonce = Math.random().toString(36).slice(2, 8);
  await register(page, uniqueEmail("adder"), `Adder ${nonce}`);
  const path = await createProfile(page, `Short ${nonce}`);
  const email = uniqueEmail("brief");
  const guest = await (await browser.newContext({ javaScriptEnabled })).newPage();
  await register(guest, email, `Brief ${nonce}`);
  if (javaScriptEnabled) await hydrated(page);
  const add = page.getByRole("form", { name: "Add a member" });
  await add.getByLabel("Name or email of the person to add").fill(email);
  await add.getByLabel("Last day (optional)").fill(day(5));
  await add.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByTestId("invitation-notice")).toContainText(`Invited ${email} as member`);
  await acceptInvitation(guest, email);
  await page.goto(path);
  await expect(membersTable(page).getByRole("row").filter({ hasText: email })).toContainText(`until ${day(5)}`);
  await guest.context().close();
});
