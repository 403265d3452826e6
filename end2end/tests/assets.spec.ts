import { expect, test } from "./helpers";

// The browser bundle (src/server/mod.rs, `bundle`): sent compressed, then kept. A page load
// asks for the WASM even without JavaScript (the page's preload link); once the browser
// has it, a later load gets a bodiless 304 rather than the whole file again.
test("the bundle arrives compressed once, and later page loads only revalidate it", async ({ page }) => {
  const fetched: { status: number; encoding?: string; bytes: number }[] = [];
  page.on("requestfinished", async (request) => {
    if (!new URL(request.url()).pathname.endsWith(".wasm")) return;
    const response = await request.response();
    const { responseBodySize } = await request.sizes();
    fetched.push({ status: response!.status(), encoding: response!.headers()["content-encoding"], bytes: responseBodySize });
  });
  await page.goto("/signin");
  await expect.poll(() => fetched.length).toBeGreaterThanOrEqual(1);
  await page.goto("/register");
  await expect.poll(() => fetched.length).toBeGreaterThanOrEqual(2);

  const [first, ...later] = fetched;
  expect(first.status).toBe(200);
  expect(["br", "gzip"]).toContain(first.encoding);
  expect(first.bytes).toBeGreaterThan(0);
  expect(later.map((f) => f.bytes), "bytes of WASM after the first load").toEqual(later.map(() => 0));
});
