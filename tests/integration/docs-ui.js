// Swagger UI at /docs in headless Chromium (Debian's), driven by
// playwright-core: the page loads /openapi.json, both operations render,
// "Try it out" on GET /info shows the 401, and after "Authorize" with the
// token the 200 and its body.  Saves a screenshot.
//
//   node docs-ui.js BASE_URL TOKEN SCREENSHOT.png
// Prints one line per check; exits 1 on the first that fails.
const { launch, expectInfo200 } = require('./browser');

const [base, token, shot] = process.argv.slice(2);

async function main() {
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    const failed = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    await page.goto(`${base}/docs/`, { waitUntil: 'networkidle' });

    const info = page.locator('#operations-api-info');
    const login = page.locator('#operations-api-login');
    await info.waitFor({ timeout: 15000 });
    await login.waitFor({ timeout: 15000 });
    console.log('ok: GET /info and POST /login/ are rendered');

    // Without a token: expand GET /info, Try it out, Execute.
    await info.locator('.opblock-summary').click();
    await info.getByRole('button', { name: 'Try it out' }).click();
    await info.getByRole('button', { name: 'Execute' }).click();
    const status = info.locator('.live-responses-table tbody .response-col_status');
    await status.first().waitFor({ timeout: 15000 });
    await page.waitForFunction(() => {
      const el = document.querySelector('#operations-api-info .live-responses-table tbody .response-col_status');
      return el && el.textContent.trim().startsWith('401');
    }, null, { timeout: 15000 });
    console.log('ok: executed without a token, the answer is 401');

    // Authorize with the raw token (the tutorial's form), then again.
    await page.locator('.auth-wrapper .authorize').click();
    const dialog = page.locator('.modal-ux');
    // The first scheme is the raw token in Authorization (apiKey).
    const scheme = dialog.locator('.auth-container').first();
    await scheme.locator('input').first().fill(token);
    await scheme.locator('button.authorize').click();
    await dialog.locator('button.close-modal').click();
    await info.getByRole('button', { name: 'Execute' }).click();
    await expectInfo200(page, info);
    console.log('ok: executed with the token, the answer is 200 {"info": "The answer is 42."}');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`ok: screenshot ${shot}`);
    if (failed.length > 0) {
      throw new Error(`requests failed: ${failed.join(', ')}`);
    }
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.log(`not ok: ${e.message}`);
  process.exit(1);
});
