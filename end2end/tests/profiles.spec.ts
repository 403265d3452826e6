import {
  acceptInvitation,
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  createProfile,
  expect,
  holdWasm,
  hydrated,
  inviteAndAccept,
  membersTable,
  register,
  signedInAs,
  signIn,
  test,
  uniqueEmail,
} from "./helpers";

/** A member's row, found by email: names also appear in other rows' "added by". */
function memberRow(page: import("@playwright/test").Page, email: string) {
  return membersTable(page).getByRole("row").filter({ hasText: email });
}

test("two people share a profile, hand it over, and outsiders see nothing", async ({ page, browser, javaScriptEnabled }) => {
  const alice = page;
  const nonce = Math.random().toString(36).slice(2, 8);
  const aliceEmail = uniqueEmail("alice");
  await register(alice, aliceEmail, "Alice Able");
  const path = await createProfile(alice, `Team ${nonce}`, "Builds the compiler");
  await expect(alice.getByTestId("member-count")).toHaveText("1");

  const bob = await (await browser.newContext()).newPage();
  const bobEmail = uniqueEmail("bob");
  await register(bob, bobEmail, "Bob Baker");

  // Alice adds Bob, whom she shares no profile with: that invites his address, and says no
  // more than it would of an address with no account. The page is at the invitation's row.
  await alice.getByLabel("Name or email of the person to add").fill(bobEmail);
  await alice.getByLabel("As", { exact: true }).selectOption("member");
  await alice.getByRole("button", { name: "Add", exact: true }).click();
  await expect(alice.getByTestId("invitation-notice")).toContainText(`Invited ${bobEmail} as member`);
  expect(new URL(alice.url()).hash).toMatch(/^#invitation-\d+$/);
  await expect(alice.getByTestId("invitations").getByRole("row").filter({ hasText: bobEmail })).toContainText("Alice Able");
  // Bob accepts from the mailed link, and is a member.
  await acceptInvitation(bob, bobEmail);
  await alice.goto(`${path}/invitations`);
  await expect(alice.getByTestId("invitation-count")).toHaveText("(0)");
  await alice.goto(path);
  await expect(memberRow(alice, bobEmail)).toContainText("Member");
  await expect(alice.getByTestId("member-count")).toHaveText("2");

  // Adding him again changes nothing and says so. (The add reloaded the page: with
  // JavaScript, wait for its islands, or the form goes as a plain post.)
  if (javaScriptEnabled) await hydrated(alice);
  await alice.getByLabel("Name or email of the person to add").fill(bobEmail);
  await alice.getByRole("button", { name: "Add", exact: true }).click();
  await expect(alice.getByRole("alert")).toContainText("Bob Baker is already on this profile");
  await expect(alice.getByTestId("member-count")).toHaveText("2");
  if (javaScriptEnabled) {
    // With JavaScript a refusal doesn't reload the page, so what was typed is still there.
    await expect(alice.getByLabel("Name or email of the person to add")).toHaveValue(bobEmail);
  }

  // Bob sees it under My profiles.
  await bob.goto("/profiles");
  const row = bob.getByRole("row", { name: new RegExp(`Team ${nonce}`) });
  await expect(row).toContainText("Member");
  await expect(row).toContainText("2");

  // Alice makes Bob a manager.
  await alice.getByRole("button", { name: "Make manager: Bob Baker" }).click();
  await expect(memberRow(alice, bobEmail)).toContainText("Manager");
  await expect(alice.getByTestId("change-notice")).toHaveText("Bob Baker changed from member to manager.");

  // Bob removes Alice.
  await bob.goto(path);
  await bob.getByRole("button", { name: "Remove Alice Able" }).click();
  await expect(memberRow(bob, aliceEmail)).toHaveCount(0);
  await expect(bob.getByTestId("member-count")).toHaveText("1");

  // Bob, now the last manager, cannot remove himself.
  await bob.getByRole("button", { name: "Remove Bob Baker" }).click();
  await expect(bob.getByRole("alert")).toContainText("A profile needs at least one manager");
  await expect(bob.getByTestId("member-count")).toHaveText("1");

  // Bob renames it on its settings tab, and the profile's history says so.
  await bob.getByRole("navigation", { name: "Profile" }).getByRole("link", { name: "Settings" }).click();
  await expect(bob).toHaveURL(`${path}/settings`);
  await bob.getByLabel("Name", { exact: true }).fill(`Crew ${nonce}`);
  await bob.getByRole("button", { name: "Save changes" }).click();
  await expect(bob.getByRole("heading", { level: 1, name: `Crew ${nonce}` })).toBeVisible();
  await bob.goto(`${path}/history`);
  await expect(bob.getByTestId("subject-changes")).toContainText(`renamed from “Team ${nonce}” to “Crew ${nonce}”`);

  // Alice is an outsider now, and an outsider gets "not found".
  const outsider = await (await browser.newContext()).newPage();
  await register(outsider, uniqueEmail("carol"), "Carol Outsider");
  for (const who of [outsider, alice]) {
    const response = await who.goto(path);
    expect(response?.status()).toBe(404);
    await expect(who.getByRole("heading", { name: "Not found" })).toBeVisible();
    await expect(who.getByText(`Crew ${nonce}`)).toHaveCount(0);
  }
});

test("an admin creates a role, grants it, and sees it on the role's page", async ({ page, browser }) => {
  const holder = await (await browser.newContext()).newPage();
  const holderEmail = uniqueEmail("dana");
  const nonce = Math.random().toString(36).slice(2, 8);
  await register(holder, holderEmail, `Dana ${nonce}`);

  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Roles" }).click();
  await page.getByLabel("Name").fill(`mentor-${nonce}`);
  await page.getByRole("button", { name: "Create role" }).click();
  await expect(page.getByRole("heading", { level: 1, name: `mentor-${nonce}` })).toBeVisible();
  await expect(page.getByText("No one holds this role yet.")).toBeVisible();

  await page.getByLabel("Grant to (email)").fill(holderEmail);
  await page.getByRole("button", { name: "Grant", exact: true }).click();
  await expect(page.getByTestId("holders")).toContainText(`Dana ${nonce}`);
  await expect(page.getByTestId("holder-count")).toHaveText("1");
  const rolePath = new URL(page.url()).pathname;
  // The role's history: the grant, and the role's own making.
  await expect(page.getByTestId("history")).toContainText(`Dana ${nonce}`);
  await expect(page.getByTestId("history")).toContainText("was granted the role");
  await expect(page.getByTestId("subject-changes")).toContainText(`created as “mentor-${nonce}”`);

  // The other direction: the role shows on the holder's user page, found in the directory.
  await page.goto(`/users?q=dana%20${nonce}`);
  await page.getByRole("link", { name: `Dana ${nonce}` }).click();
  await expect(page.getByTestId("user-roles")).toContainText(`mentor-${nonce}`);

  // Taking it away offers it back, on the page it was taken from, as the page says before.
  await expect(page.getByTestId("undo-hint")).toHaveText(
    "Taking a role away can be undone: the page then offers to grant it back.",
  );
  await page.getByRole("button", { name: `Remove role mentor-${nonce}` }).click();
  const banner = page.getByTestId("revoked-banner");
  await expect(banner).toContainText(`Took the role mentor-${nonce} away.`);
  await expect(page.getByTestId("user-roles")).toHaveCount(0);
  await banner.getByRole("button", { name: "Grant it back" }).click();
  await expect(page.getByTestId("user-roles")).toContainText(`mentor-${nonce}`);
  await expect(banner).toHaveCount(0);

  // Deleting asks for confirmation, then takes the role from its holder.
  await page.goto(rolePath);
  await page.getByRole("checkbox", { name: /delete this role/ }).check();
  await page.getByRole("button", { name: "Delete role" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Roles" })).toBeVisible();
  await expect(page.getByRole("link", { name: `mentor-${nonce}` })).toHaveCount(0);
});

test("a form sent before the WASM arrived keeps its error once live, and the next save clears it", async ({ page, javaScriptEnabled }) => {
  test.skip(!javaScriptEnabled, "without JavaScript every form goes this way, as the other tests show");
  const nonce = Math.random().toString(36).slice(2, 8);
  await register(page, uniqueEmail("slow"), `Slow ${nonce}`);
  const path = await createProfile(page, `Slow ${nonce}`);
  const edit = page.getByRole("form", { name: "Edit profile" });

  // As on a slow connection: the form goes as a plain post and comes back with its error.
  const held = await holdWasm(page);
  await page.goto(`${path}/settings`, { waitUntil: "domcontentloaded" });
  await edit.getByLabel("Name").fill("   ");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(edit.getByTestId("form-error")).toHaveText("Enter a name.");
  await expect(page).not.toHaveURL(/__err=/);

  // Live, the island shows the same error, and keeps it.
  await held.hydrate();
  await expect(edit.getByTestId("form-error")).toHaveText("Enter a name.");

  // A good save goes in the background, and the page it loads has lost the old error.
  const sent = page.waitForRequest((r) => r.url().endsWith("/api/profiles/update"));
  await edit.getByLabel("Name").fill(`Quick ${nonce}`);
  await edit.getByRole("button", { name: "Save changes" }).click();
  expect((await sent).resourceType()).toBe("fetch");
  await expect(page.getByRole("heading", { level: 1, name: `Quick ${nonce}` })).toBeVisible();
  await expect(page).not.toHaveURL(/__err=/);
  await expect(edit.getByTestId("form-error")).toHaveCount(0);
});

test("an admin finds anyone's profile in the list of all profiles", async ({ page, browser, javaScriptEnabled }) => {
  const nonce = Math.random().toString(36).slice(2, 8);
  const owner = await (await browser.newContext({ javaScriptEnabled })).newPage();
  await register(owner, uniqueEmail("owner"), `Owner ${nonce}`);
  await createProfile(owner, `Hidden ${nonce}`);
  await owner.context().close();

  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(signedInAs(page)).toContainText("E2E Admin");
  await page.goto("/profiles");
  await page.getByRole("link", { name: "all profiles" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "All profiles" })).toBeVisible();
  await page.getByLabel("Search all profiles").fill(`hidden ${nonce}`);
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByTestId("total")).toHaveText("1 matching profile");
  const row = page.getByTestId("all-profiles").getByRole("row").filter({ hasText: `Hidden ${nonce}` });
  await expect(row).toContainText(`by Owner ${nonce}`);
  await row.getByRole("link", { name: `Hidden ${nonce}` }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Hidden ${nonce}` })).toBeVisible();
});

test("a member leaves a profile only once they tick that they understand", async ({ page, browser, javaScriptEnabled }) => {
  const nonce = Math.random().toString(36).slice(2, 8);
  const memberEmail = uniqueEmail("leaver");
  const member = await (await browser.newContext({ javaScriptEnabled })).newPage();
  await register(member, memberEmail, `Leaver ${nonce}`);
  await register(page, uniqueEmail("keeper"), `Keeper ${nonce}`);
  const path = await createProfile(page, `Left ${nonce}`);
  await inviteAndAccept(page, member, memberEmail);

  // The members tab has no settings in the way; they are a tab of their own.
  await member.goto(path);
  await expect(member.getByRole("form", { name: "Leave this profile" })).toHaveCount(0);
  await member.goto(`${path}/settings`);
  if (javaScriptEnabled) await hydrated(member);
  const leave = member.getByRole("form", { name: "Leave this profile" });
  await expect(member.getByRole("form", { name: "Edit profile" })).toHaveCount(0);
  await expect(member.getByText("only a manager can add you back")).toBeVisible();
  // Unticked, the browser won't send it; nothing changes.
  await leave.getByRole("button", { name: "Leave this profile" }).click();
  await expect(member.getByRole("heading", { level: 1, name: `Left ${nonce}` })).toBeVisible();
  await leave.getByRole("checkbox", { name: "I understand I'll lose access to this profile." }).check();
  await leave.getByRole("button", { name: "Leave this profile" }).click();
  await expect(member.getByRole("heading", { level: 1, name: "My profiles" })).toBeVisible();
  await expect(member.getByRole("link", { name: `Left ${nonce}` })).toHaveCount(0);
  await page.goto(path);
  await expect(memberRow(page, memberEmail)).toHaveCount(0);
});

test("a second profile of the same name is refused, and what was typed stays", async ({ page }) => {
  const nonce = Math.random().toString(36).slice(2, 8);
  await register(page, uniqueEmail("twice"), `Twice ${nonce}`);
  await createProfile(page, `Choir ${nonce}`);

  await page.goto("/profiles");
  const form = page.getByRole("form", { name: "New profile" });
  await form.getByLabel("Name").fill(`CHOIR ${nonce}`);
  await form.getByLabel("Description (optional)").fill("Tuesdays\nand Thursdays");
  await form.getByRole("button", { name: "Create profile" }).click();
  await expect(form.getByRole("alert")).toHaveText(
    `You already have a profile called “CHOIR ${nonce}”. Choose another name.`,
  );
  await expect(page.getByRole("alert")).toHaveCount(1);
  await expect(form.getByLabel("Name")).toHaveValue(`CHOIR ${nonce}`);
  await expect(form.getByLabel("Description (optional)")).toHaveValue("Tuesdays\nand Thursdays");
  await expect(page.getByRole("link", { name: `Choir ${nonce}` })).toHaveCount(1);
});

test("a manager downloads the members and the history as CSV files", async ({ page, browser, javaScriptEnabled }) => {
  const nonce = Math.random().toString(36).slice(2, 8);
  const memberEmail = uniqueEmail("csv-member");
  const member = await (await browser.newContext({ javaScriptEnabled })).newPage();
  await register(member, memberEmail, `Member ${nonce}`);

  await register(page, uniqueEmail("csv-manager"), `Manager ${nonce}`);
  const path = await createProfile(page, `Export ${nonce}`);
  await inviteAndAccept(page, member, memberEmail);

  const [members] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download every member as a CSV file" }).click(),
  ]);
  expect(members.suggestedFilename()).toMatch(new RegExp(`^export-${nonce}-members-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  const text = (await (await members.createReadStream()).toArray()).join("");
  const lines = text.trim().split("\n");
  expect(lines[0]).toBe("email,access,last_day,name,added_at,added_by");
  expect(lines).toHaveLength(3);
  expect(text).toContain(`${memberEmail},member,,Member ${nonce},`);

  await page.getByRole("link", { name: "History" }).click();
  const [history] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download the whole history as a CSV file" }).click(),
  ]);
  const changes = (await (await history.createReadStream()).toArray()).join("").trim().split("\n");
  expect(changes[0]).toBe("at,change,access_before,access_after,email,name,by");
  expect(changes[1]).toContain(`,added,,member,${memberEmail},Member ${nonce},`);

  // A member sees neither link.
  await member.goto(path);
  await expect(member.getByRole("heading", { level: 1, name: `Export ${nonce}` })).toBeVisible();
  await expect(member.getByTestId("download")).toHaveCount(0);
  await member.context().close();
});

test("a manager copies the members of another profile they manage, through the preview", async ({ page, browser, javaScriptEnabled }) => {
  const nonce = Math.random().toString(36).slice(2, 8);
  const memberEmail = uniqueEmail("copied");
  const member = await (await browser.newContext({ javaScriptEnabled })).newPage();
  await register(member, memberEmail, `Copied ${nonce}`);

  await register(page, uniqueEmail("copier"), `Copier ${nonce}`);
  await createProfile(page, `Source ${nonce}`);
  await inviteAndAccept(page, member, memberEmail);
  await member.context().close();
  const target = await createProfile(page, `Target ${nonce}`);

  await page.getByRole("link", { name: "copy the members of another profile you manage" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Copy members from another profile" })).toBeVisible();
  if (javaScriptEnabled) await hydrated(page);
  await page.getByLabel("Copy the members of").selectOption({ label: `Source ${nonce} (2 members)` });
  await page.getByRole("button", { name: "Preview", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Preview: nothing has changed yet" })).toBeVisible();
  await expect(page.getByTestId("bulk-summary")).toHaveText("1 to change · 0 to invite · 1 unchanged · 0 unknown · 0 refused");
  await page.getByRole("button", { name: "Apply 1 change" }).click();
  await expect(page.getByRole("heading", { name: "Done" })).toBeVisible();
  await page.goto(target);
  await expect(memberRow(page, memberEmail)).toContainText("Member");
});
