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

/** A member's row, found by email. */
function memberRow(page: import("@playwright/test").Page, email: string) {
  return membersTable(page).getByRole("row").filter({ hasText: email });
}

test("a manager picks a person, bulk-adds with a preview, removes, undoes, and reads the history", async ({
  page,
  browser,
  javaScriptEnabled,
}) => {
  const nonce = Math.random().toString(36).slice(2, 8);
  const alice = uniqueEmail("alice");
  await register(page, alice, `Alice ${nonce}`);
  // Carol shares a profile with Alice (her own, which Alice joins by Carol's invitation); Dan
  // shares nothing. People are private: Alice's picker finds Carol, and not Dan, whom adding
  // by his email invites.
  const people: Record<string, string> = {};
  const dan = await (await browser.newContext({ javaScriptEnabled })).newPage();
  for (const who of ["carol", "dan"]) {
    const other = who === "dan" ? dan : await (await browser.newContext({ javaScriptEnabled })).newPage();
    people[who] = uniqueEmail(who);
    await register(other, people[who], `${who[0].toUpperCase()}${who.slice(1)} ${nonce}`);
    if (who === "carol") {
      await createProfile(other, `Carol's club ${nonce}`);
      await inviteAndAccept(other, page, alice);
      await other.context().close();
    }
  }
  const path = await createProfile(page, `Crowd ${nonce}`);

  // The picker: suggestions from a prefix of the email. The whole local part
  // is unique to this run; a shorter prefix could match people that tests
  // running alongside register at the same moment.
  const prefix = people.carol.split("@")[0];
  const stranger = people.dan.split("@")[0];
  if (javaScriptEnabled) {
    // Typed quickly, the picker asks once typing pauses, not once per key.
    await hydrated(page);
    const field = page.getByLabel("Name or email of the person to add");
    const suggestions = page.getByTestId("suggestions");
    await field.pressSequentially(stranger, { delay: 20 });
    const answered = page.waitForResponse((r) => r.url().includes("/api/users/suggest"));
    await field.press("Backspace");
    await answered;
    await expect(suggestions).toBeHidden();
    await field.fill("");
    const asked: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/api/users/suggest")) asked.push(r.url());
    });
    await field.pressSequentially(prefix, { delay: 20 });
    await expect(suggestions.getByRole("option")).toHaveCount(1);
    // Usually one or two; a busy machine can stall the typing past a pause now and then.
    // Asking per key would make it one per key.
    expect(asked.length, `${prefix.length} keys typed`).toBeLessThanOrEqual(Math.floor(prefix.length / 4));
    // The combobox's keys: Enter with nothing highlighted sends no half-typed text; Escape
    // closes the list, the arrows open it on a suggestion, and Enter picks it.
    await expect(field).toHaveAttribute("aria-expanded", "true");
    await field.press("Enter");
    await expect(field).toHaveValue(prefix);
    await expect(suggestions.getByRole("option").first()).toHaveAttribute("aria-selected", "true");
    await field.press("Escape");
    await expect(suggestions).toBeHidden();
    await expect(field).toHaveAttribute("aria-expanded", "false");
    await field.press("ArrowDown");
    const option = suggestions.getByRole("option", { name: new RegExp(`Carol ${nonce}`) });
    await expect(option).toHaveAttribute("aria-selected", "true");
    await expect(field).toHaveAttribute("aria-activedescendant", (await option.getAttribute("id"))!);
    await field.press("Enter");
    await expect(field).toHaveValue(people.carol);
    await expect(field).toBeFocused();
    await expect(page.getByTestId("picked")).toHaveText(`Picked Carol ${nonce} <${people.carol}>`);
    // With the list closed, Enter sends the form.
    await field.press("Enter");
  } else {
    await page.getByLabel("Find people to add").fill(stranger);
    await page.getByRole("button", { name: "Find" }).click();
    await expect(page.getByTestId("none-found")).toContainText("No one you share a profile with matches");
    await page.getByLabel("Find people to add").fill(prefix);
    await page.getByRole("button", { name: "Find" }).click();
    await page.getByTestId("found").getByRole("button", { name: new RegExp(`Add Carol ${nonce}`) }).click();
  }
  await expect(page.getByTestId("member-count")).toHaveText("2");
  await expect(memberRow(page, people.carol)).toBeVisible();

  // Bulk add: a preview row per email, nothing changed until applied.
  const nobody = `nobody.${nonce}@example.com`;
  await page.goto(path);
  await page.getByLabel(/^Emails, one per line/).fill(`${people.dan}, ${nobody}\n${people.carol}`);
  await page.getByRole("button", { name: "Preview", exact: true }).last().click();
  await expect(page.getByRole("heading", { name: "Preview: nothing has changed yet" })).toBeVisible();
  await expect(page.getByTestId("bulk-summary")).toHaveText("0 to change · 2 to invite · 1 unchanged · 0 unknown · 0 refused");
  // Dan's account and an address with none read the same: neither is named.
  const rows = page.getByTestId("bulk-rows");
  await expect(rows.getByRole("row").filter({ hasText: people.dan })).toContainText("will invite as member");
  await expect(rows.getByRole("row").filter({ hasText: nobody })).toContainText("will invite as member");
  await expect(rows.getByRole("row").filter({ hasText: people.carol })).toContainText("is already a member");
  await expect(rows).not.toContainText(`Dan ${nonce}`);
  await page.getByRole("button", { name: "Apply 2 changes" }).click();
  await expect(page.getByRole("heading", { name: "Done" })).toBeVisible();
  await expect(page.getByTestId("bulk-summary")).toHaveText("0 changed · 2 invited · 1 unchanged · 0 unknown · 0 refused");
  await page.goto(path);
  await expect(page.getByTestId("member-count")).toHaveText("2");
  await page.goto(`${path}/invitations`);
  await expect(page.getByTestId("invitation-count")).toHaveText("(2)");
  await acceptInvitation(dan, people.dan);
  await dan.context().close();
  await page.goto(path);
  await expect(page.getByTestId("member-count")).toHaveText("3");
  const since = await memberRow(page, people.dan).locator("time").getAttribute("datetime");

  // Remove Dan, then undo it from the banner: back with the same "since". With JavaScript the
  // row's plain form goes in the background (the list shows it is busy), and the browser then
  // follows the server to the page with the banner.
  if (javaScriptEnabled) await hydrated(page);
  const sent: string[] = [];
  page.on("request", (r) => {
    if (r.method() === "POST") sent.push(r.resourceType());
  });
  // The page says before the click that a removal can be taken back.
  await expect(page.getByTestId("undo-hint")).toContainText("Removing someone can be undone");
  await page.getByRole("button", { name: `Remove Dan ${nonce}` }).click();
  await expect(page.getByTestId("member-count")).toHaveText("2");
  expect(sent).toEqual([javaScriptEnabled ? "fetch" : "document"]);
  const banner = page.getByTestId("undo-banner");
  await expect(banner).toContainText(`Removed Dan ${nonce} (was member).`);
  // The page opens at the notice, where the row was, not at its top.
  await expect(page).toHaveURL(/#removed$/);
  await expect(banner).toBeInViewport();
  await banner.getByRole("button", { name: "Undo" }).click();
  await expect(page.getByTestId("member-count")).toHaveText("3");
  await expect(memberRow(page, people.dan).locator("time")).toHaveAttribute("datetime", since!);

  // Remove Carol, and undo that from the history.
  await page.getByRole("button", { name: `Remove Carol ${nonce}` }).click();
  await expect(page.getByTestId("member-count")).toHaveText("2");
  await page.getByRole("link", { name: "History" }).click();
  const history = page.getByTestId("history");
  await expect(history.getByRole("row").nth(1)).toContainText(`Carol ${nonce}`);
  await expect(history.getByRole("row").nth(1)).toContainText("removed (was member)");
  await expect(history).toContainText("restored as member (undo)");
  await history.getByRole("button", { name: `Undo: Carol ${nonce}` }).click();
  await expect(page.getByTestId("member-count")).toHaveText("3");

  // The history filter, from the address as much as from the form.
  await page.goto(`${path}/history?action=restored`);
  await expect(page.getByTestId("history").getByRole("row")).toHaveCount(3);
  await expect(page.getByTestId("total")).toHaveText("2 changes");

  // Who had access today: all three. With JavaScript the date is typed before the WASM
  // arrives, as on a slow connection, and hydrating must keep it.
  const today = new Date().toISOString().slice(0, 10);
  const held = javaScriptEnabled ? await holdWasm(page) : undefined;
  await page.goto(`${path}/access`, { waitUntil: "domcontentloaded" });
  await page.getByLabel("Date", { exact: true }).fill(today);
  await held?.hydrate();
  await expect(page.getByLabel("Date", { exact: true })).toHaveValue(today);
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByTestId("access-on").getByRole("row")).toHaveCount(4);
});

test("member lists search, filter and sort from the address and from the form", async ({ page, browser, javaScriptEnabled }) => {
  const nonce = Math.random().toString(36).slice(2, 8);
  await register(page, uniqueEmail("owner"), `Owner ${nonce}`);
  const path = await createProfile(page, `Sorted ${nonce}`);
  for (const name of ["Zara", "Ahmed", "Mia"]) {
    const other = await (await browser.newContext({ javaScriptEnabled })).newPage();
    const email = uniqueEmail(name.toLowerCase());
    await register(other, email, `${name} ${nonce}`);
    await inviteAndAccept(page, other, email);
    await other.context().close();
  }
  await expect(page.getByTestId("total")).toHaveText("4 members");
  const names = () => membersTable(page).locator("tbody tr td:nth-child(2)").allTextContents();
  expect(await names()).toEqual([`Ahmed ${nonce}`, `Mia ${nonce}`, `Owner ${nonce}`, `Zara ${nonce}`]);
  await page.getByLabel("Sort by").selectOption("since");
  await page.getByLabel("Search members").fill("");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/sort=since/);
  await expect.poll(names).toEqual([`Owner ${nonce}`, `Zara ${nonce}`, `Ahmed ${nonce}`, `Mia ${nonce}`]);
  await page.getByLabel("Search members").fill("mia");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByTestId("total")).toHaveText("1 matching member");
  // The search box follows the address back and forth, not what was typed last.
  await page.goBack();
  await expect(page.getByLabel("Search members")).toHaveValue("");
  await page.goForward();
  await expect(page.getByLabel("Search members")).toHaveValue("mia");
  // Sorted by name, a search says name matches come first; sorted by since, it has no such order.
  const order = page.getByText("People whose name starts with it come first, then those whose email does");
  await expect(order).toHaveCount(0);
  await page.goto(`${path}?q=mia`);
  await expect(order).toBeVisible();
  await page.goto(`${path}?access=manager`);
  await expect(order).toHaveCount(0);
  await expect(page.getByTestId("total")).toHaveText("1 matching member");
  expect(await names()).toEqual([`Owner ${nonce}`]);
  await page.goBack();
  await expect(page.getByTestId("total")).toHaveText("1 matching member");
  await expect(page).toHaveURL(/q=mia/);

  // A search typed before the WASM arrives survives hydrating.
  const held = javaScriptEnabled ? await holdWasm(page) : undefined;
  await page.goto(path, { waitUntil: "domcontentloaded" });
  await page.getByLabel("Search members").fill("zar");
  await held?.hydrate();
  await expect(page.getByLabel("Search members")).toHaveValue("zar");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByTestId("total")).toHaveText("1 matching member");
  expect(await names()).toEqual([`Zara ${nonce}`]);
});

test("a manager ticks members, previews the change with its refusals, and applies it", async ({ page, browser, javaScriptEnabled }) => {
  const nonce = Math.random().toString(36).slice(2, 8);
  await register(page, uniqueEmail("lead"), `Lead ${nonce}`);
  const path = await createProfile(page, `Ticked ${nonce}`);
  const others: Record<string, string> = {};
  for (const name of ["Yan", "Zed"]) {
    const other = await (await browser.newContext({ javaScriptEnabled })).newPage();
    others[name] = uniqueEmail(name.toLowerCase());
    await register(other, others[name], `${name} ${nonce}`);
    await inviteAndAccept(page, other, others[name]);
    await other.context().close();
  }

  const zedSince = await memberRow(page, others.Zed).locator("time").getAttribute("datetime");
  // Tick Zed and yourself for removal: the boxes sit in the table's rows, outside the form
  // they belong to. With JavaScript the form's island sends them in the background.
  if (javaScriptEnabled) await hydrated(page);
  const sent: string[] = [];
  page.on("request", (r) => {
    if (r.method() === "POST") sent.push(r.resourceType());
  });
  const form = page.getByRole("form", { name: "Change the ticked members" });
  const count = page.getByTestId("bulk-count");
  // Live, the bar waits for a tick and counts them; as plain HTML it is always there.
  if (javaScriptEnabled) {
    await expect(form).toBeHidden();
    const wholePage = page.getByRole("checkbox", { name: "Select everyone on this page" });
    await wholePage.check();
    await expect(count).toHaveText("3 selected");
    await wholePage.uncheck();
    await expect(form).toBeHidden();
  } else {
    await expect(form).toBeVisible();
    await expect(page.getByRole("checkbox", { name: "Select everyone on this page" })).toBeHidden();
  }
  await page.getByRole("checkbox", { name: `Select Zed ${nonce}` }).check();
  if (javaScriptEnabled) await expect(count).toHaveText("1 selected");
  await page.getByRole("checkbox", { name: `Select Lead ${nonce}` }).check();
  if (javaScriptEnabled) await expect(count).toHaveText("2 selected");
  await form.getByLabel("With the ticked members").selectOption("remove");
  await form.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByRole("heading", { name: "Preview: nothing has changed yet" })).toBeVisible();
  expect(sent).toEqual([javaScriptEnabled ? "fetch" : "document"]);
  await expect(page.getByTestId("bulk-summary")).toHaveText("1 to change · 0 unchanged · 0 unknown · 1 refused");
  const rows = page.getByTestId("bulk-rows");
  await expect(rows.getByRole("row").filter({ hasText: `Zed ${nonce}` })).toContainText("will remove (was member)");
  await expect(rows.getByRole("row").filter({ hasText: `Lead ${nonce}` })).toContainText("refused:");

  await expect(page.getByTestId("bulk-undo-hint")).toContainText("put everyone back in one step");
  await page.getByRole("button", { name: "Apply 1 change" }).click();
  await expect(page.getByRole("heading", { name: "Done" })).toBeVisible();
  await expect(page.getByTestId("bulk-summary")).toHaveText("1 changed · 0 unchanged · 0 unknown · 1 refused");
  const bulkPage = page.url();
  await page.goto(path);
  await expect(page.getByTestId("member-count")).toHaveText("2");
  await expect(memberRow(page, others.Zed)).toHaveCount(0);
  await expect(memberRow(page, others.Yan)).toBeVisible();

  // The removal undone whole, from the change's page: Zed is back as he was.
  await page.goto(bulkPage);
  if (javaScriptEnabled) await hydrated(page);
  await page.getByRole("button", { name: "Undo: put back 1 person" }).click();
  await expect(page.getByTestId("bulk-undone")).toHaveText("Put back 1 person, each with their access and date as before.");
  await expect(page.getByRole("button", { name: /Undo: put back/ })).toHaveCount(0);
  await page.goto(path);
  await expect(page.getByTestId("member-count")).toHaveText("3");
  await expect(memberRow(page, others.Zed)).toContainText("Member");
  await expect(memberRow(page, others.Zed).locator("time")).toHaveAttribute("datetime", zedSince!);
});

test("a person is found by a later word of their name: in the directory, the picker and the members", async ({
  page,
  browser,
  javaScriptEnabled,
}) => {
  // A surname no one else has, so that this person alone matches it.
  const surname = `Quill${Math.random().toString(36).slice(2, 8)}`;
  const typed = surname.toLowerCase();
  const nora = uniqueEmail("nora");
  const other = await (await browser.newContext({ javaScriptEnabled })).newPage();
  await register(other, nora, `Nora ${surname}`);
  await other.context().close();

  await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(signedInAs(page)).toContainText("E2E Admin");
  await page.goto("/users");
  await page.getByLabel("Search users").fill(typed.slice(0, 8));
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByRole("link", { name: `Nora ${surname}` })).toBeVisible();
  await expect(page.getByTestId("total")).toHaveText("1 matching user");

  const path = await createProfile(page, `Quills ${surname}`);
  if (javaScriptEnabled) {
    await hydrated(page);
    const field = page.getByLabel("Name or email of the person to add");
    await field.pressSequentially(typed, { delay: 20 });
    const suggestions = page.getByTestId("suggestions");
    await expect(suggestions.getByRole("option", { name: new RegExp(`Nora ${surname}`) })).toBeVisible();
    await field.press("ArrowDown");
    await field.press("Enter");
    await expect(field).toHaveValue(nora);
    await page.getByRole("button", { name: "Add", exact: true }).click();
  } else {
    await page.getByLabel("Find people to add").fill(typed);
    await page.getByRole("button", { name: "Find" }).click();
    await page.getByTestId("found").getByRole("button", { name: new RegExp(`Add Nora ${surname}`) }).click();
  }
  await expect(page.getByTestId("member-count")).toHaveText("2");
  await page.goto(`${path}?q=${typed.slice(0, 7)}`);
  await expect(page.getByTestId("total")).toHaveText("1 matching member");
  await expect(membersTable(page).getByRole("row").filter({ hasText: nora })).toBeVisible();
});
