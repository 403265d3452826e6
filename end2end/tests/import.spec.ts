import { createProfile, expect, hydrated, register, test, uniqueEmail } from "./helpers";

function day(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

test("a manager imports a CSV file: every row previewed with its line, then applied whole", async ({
  page,
  javaScriptEnabled,
}) => {
  const nonce = Math.random().toString(36).slice(2, 8);
  await register(page, uniqueEmail("importer"), `Importer ${nonce}`);
  const path = await createProfile(page, `Imported ${nonce}`);
  const newcomer = uniqueEmail("newcomer");
  const import_ = page.getByRole("form", { name: "Import members from a CSV file" });

  // A file with no access column is refused whole, beside the form.
  if (javaScriptEnabled) await hydrated(page);
  await import_.getByLabel("CSV file").setInputFiles({
    name: "people.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("email,name\nx@example.com,X\n"),
  });
  await import_.getByRole("button", { name: "Preview the import" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "The header row has no “access” column." })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`${path}(#import)?$`));

  if (javaScriptEnabled) await hydrated(page);
  await import_.getByLabel("CSV file").setInputFiles({
    name: "people.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(`email,access,last_day\n${newcomer},member,${day(9)}\nnobody,member,\n${newcomer},manager,\n`),
  });
  await import_.getByRole("button", { name: "Preview the import" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Import members" })).toBeVisible();
  await expect(page.getByTestId("bulk-summary")).toHaveText("0 to change · 1 to invite · 1 unchanged · 0 unknown · 1 refused");
  const rows = page.getByTestId("bulk-rows").getByRole("row");
  await expect(rows.nth(1)).toContainText(`2${newcomer}will invite as member until ${day(9)}`);
  await expect(rows.nth(2)).toContainText("3nobodyrefused: not an email address");
  await expect(rows.nth(3)).toContainText("listed twice (first on line 2)");

  if (javaScriptEnabled) await hydrated(page);
  await page.getByRole("button", { name: "Apply 1 change" }).click();
  await expect(page.getByRole("heading", { level: 2, name: "Done" })).toBeVisible();
  await expect(rows.nth(1)).toContainText(`invited as member until ${day(9)}`);
  await page.goto(`${path}/invitations`);
  await expect(page.getByTestId("invitation-count")).toHaveText("(1)");
});
