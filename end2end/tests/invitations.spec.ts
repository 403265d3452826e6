import { createProfile, expect, hydrated, invitationLink, membersTable, register, test, uniqueEmail } from "./helpers";

test("a manager invites addresses, sends one again, withdraws one; the invitee registers from the link", async ({
  page,
  browser,
  javaScriptEnabled,
}) => {
  const nonce = Math.random().toString(36).slice(2, 8);
  await register(page, uniqueEmail("host"), `Host ${nonce}`);
  const path = await createProfile(page, `Guild ${nonce}`);
  const newbie = uniqueEmail("newbie");
  const dropped = uniqueEmail("dropped");
  // Each invitation lands on the profile's invitations tab, which says what was done.
  for (const email of [newbie, dropped]) {
    await page.goto(path);
    if (javaScriptEnabled) await hydrated(page);
    await page.getByLabel("Name or email of the person to add").fill(email);
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`${path}/invitations\\?invited=\\d+#invitation-\\d+$`));
    await expect(page.getByTestId("invitation-notice")).toContainText(`Invited ${email} as member`);
  }
  const invitations = page.getByTestId("invitations");
  await expect(page.getByTestId("invitation-count")).toHaveText("(2)");
  await expect(page.getByRole("link", { name: "Invitations" })).toHaveAttribute("aria-current", "page");

  // Withdrawn: its link stops working. Sent again: a new link, and the first stops working.
  if (javaScriptEnabled) await hydrated(page);
  await page.getByRole("button", { name: `Withdraw the invitation to ${dropped}` }).click();
  await expect(page.getByTestId("invitation-notice")).toHaveText("Invitation withdrawn: its link no longer works.");
  await expect(invitations.getByRole("row").filter({ hasText: dropped })).toHaveCount(0);
  if (javaScriptEnabled) await hydrated(page);
  await page.getByRole("button", { name: `Send again to ${newbie}` }).click();
  await expect(page.getByTestId("invitation-notice")).toContainText(`Sent the invitation to ${newbie} again`);
  const first = await invitationLink(newbie, 1);
  const second = await invitationLink(newbie, 2);

  const guest = await (await browser.newContext({ javaScriptEnabled })).newPage();
  await guest.goto(await invitationLink(dropped));
  await expect(guest.getByTestId("invitation-closed")).toHaveText("This invitation was withdrawn by the profile's manager.");
  await guest.goto(first);
  await expect(guest.getByText("This invitation link isn't valid")).toBeVisible();

  // The invitee makes an account with the newest link (its address is fixed) and joins.
  await guest.goto(second);
  await expect(guest.getByRole("heading", { level: 1, name: `Join Guild ${nonce}` })).toBeVisible();
  await expect(guest.getByText(`Host ${nonce} invited ${newbie} to join Guild ${nonce} as a member.`)).toBeVisible();
  if (javaScriptEnabled) await hydrated(guest);
  const form = guest.getByRole("form", { name: "Create your account and join" });
  await expect(form.getByLabel("Email")).toHaveValue(newbie);
  await form.getByLabel("Display name").fill(`Newbie ${nonce}`);
  await form.getByLabel("Password").fill("correct horse battery");
  await form.getByRole("button", { name: "Create account and join" }).click();
  await expect(guest.getByTestId("joined-notice")).toHaveText(`Welcome: you joined Guild ${nonce} as a member.`);
  await expect(guest).toHaveURL(new RegExp(`${path}\\?joined=1$`));
  // Used: the link says so.
  await guest.goto(second);
  await expect(guest.getByTestId("invitation-closed")).toContainText("already been accepted");
  await guest.context().close();

  await page.goto(path);
  await expect(membersTable(page).getByRole("row").filter({ hasText: newbie })).toContainText(`Newbie ${nonce}`);
  await expect(page.getByTestId("member-count")).toHaveText("2");
  await page.getByRole("link", { name: "Invitations" }).click();
  await expect(page.getByTestId("invitation-count")).toHaveText("(0)");
  await page.getByRole("link", { name: "History" }).click();
  await expect(page.getByTestId("history")).toContainText("joined by invitation as member");
  const records = page.getByTestId("invitation-records");
  await expect(records.getByRole("row").filter({ hasText: newbie })).toContainText(`accepted by Newbie ${nonce}`);
  await expect(records.getByRole("row").filter({ hasText: dropped })).toContainText(`revoked by Host ${nonce}`);
});
