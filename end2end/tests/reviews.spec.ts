import { createProfile, expect, hydrated, inviteAndAccept, membersTable, register, test, uniqueEmail } from "./helpers";

test("a manager reviews a profile: decides, leaves and comes back, completes; history names the review", async ({
  page,
  browser,
  javaScriptEnabled,
}) => {
  const nonce = Math.random().toString(36).slice(2, 8);
  await register(page, uniqueEmail("reviewer"), `Reviewer ${nonce}`);
  const path = await createProfile(page, `Audited ${nonce}`);
  const guest = await (await browser.newContext({ javaScriptEnabled })).newPage();
  const email = uniqueEmail("reviewed");
  await register(guest, email, `Reviewed ${nonce}`);
  if (javaScriptEnabled) await hydrated(page);
  await inviteAndAccept(page, guest, email);

  await page.getByRole("navigation", { name: "Profile" }).getByRole("link", { name: "Review" }).click();
  await expect(page.getByTestId("last-review")).toHaveText("This profile has never been reviewed.");
  if (javaScriptEnabled) await hydrated(page);
  await page.getByRole("button", { name: "Start a review" }).click();
  await expect(page.getByTestId("review-progress")).toContainText("Decided 0 of 2: 0 to remove, 0 to change.");

  const row = page.getByTestId("review-members").getByRole("row").filter({ hasText: email });
  await expect(row).toContainText("never");
  if (javaScriptEnabled) await hydrated(page);
  await row.getByRole("button", { name: `Remove: Reviewed ${nonce}` }).click();
  await expect(page.getByTestId("review-progress")).toContainText("Decided 1 of 2: 1 to remove, 0 to change.");
  await expect(row.getByTestId("decision")).toHaveText("remove");

  // Left and resumed: the decision is still there.
  await page.goto(path);
  await page.goto(`${path}/review`);
  await expect(row.getByTestId("decision")).toHaveText("remove");

  // One person has no decision: completing asks to keep them.
  if (javaScriptEnabled) await hydrated(page);
  await page.getByRole("button", { name: "Complete the review" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "1 person has no decision yet" })).toBeVisible();
  if (javaScriptEnabled) await hydrated(page);
  await page.getByLabel("Keep everyone not decided (1)").check();
  await page.getByRole("button", { name: "Complete the review" }).click();
  await expect(page.getByTestId("review-completed")).toHaveText("Review completed: its decisions are applied.");
  await expect(page.getByTestId("last-review")).toContainText(`The last review was completed`);

  await page.goto(path);
  await expect(membersTable(page).getByRole("row").filter({ hasText: email })).toHaveCount(0);
  await page.goto(`${path}/history`);
  await expect(page.getByText("removed (was member) in an access review")).toBeVisible();

  // A review every 30 days.
  await page.goto(`${path}/review`);
  if (javaScriptEnabled) await hydrated(page);
  await page.getByLabel("Require a review every (days; empty for never)").fill("30");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByTestId("review-due")).toContainText("A review is required every 30 days; the next is due");
  await guest.context().close();
});
