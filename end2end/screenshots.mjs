// Takes the README's screenshots from a running Roster (scripts/screenshots.sh starts one on a
// seeded database): the main pages at a desktop size, and the profile page on a phone.
// Usage: node screenshots.mjs BASE_URL EMAIL PASSWORD OUT_DIR
import { chromium } from "@playwright/test";

const [base, email, password, out] = process.argv.slice(2);
const desktop = { width: 1280, height: 1000 };
const phone = { width: 390, height: 844 };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const context = await browser.newContext({ viewport: desktop, colorScheme: "light", deviceScaleFactor: 1 });
const page = await context.newPage();
await page.goto(`${base}/signin`);
await page.getByLabel("Email").fill(email);
await page.getByLabel("Password").fill(password);
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(`${base}/`);

// The seed makes its first profile the most popular.
const biggest = "/profiles/1";

const shots = [
  ["home", "/"],
  ["profile", biggest],
  ["profile-settings", `${biggest}/settings`],
  ["history", `${biggest}/history`],
  ["users", "/users?q=ma"],
  ["roles", "/roles"],
];
for (const [name, path] of shots) {
  await page.goto(`${base}${path}`);
  await page.waitForSelector("html[data-hydrated]");
  await page.screenshot({ path: `${out}/${name}.png` });
  console.log(`${out}/${name}.png`);
}

await page.setViewportSize(phone);
await page.goto(`${base}${biggest}`);
await page.waitForSelector("html[data-hydrated]");
// Its member rows, stacked, each cell named.
await page.getByTestId("members").scrollIntoViewIfNeeded();
await page.evaluate(() => window.scrollBy(0, -120));
await page.screenshot({ path: `${out}/phone-profile.png` });
console.log(`${out}/phone-profile.png`);
// The picker's suggestions, under its field, leaving the rest of the form in view.
await page.evaluate(() => window.scrollTo(0, 0));
await page.getByLabel("Name or email of the person to add").pressSequentially("mar", { delay: 30 });
await page.getByTestId("suggestions").getByRole("option").first().waitFor();
await page.screenshot({ path: `${out}/phone-picker.png` });
console.log(`${out}/phone-picker.png`);
await browser.close();
