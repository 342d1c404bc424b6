// Swagger UI's Authorize with OAuth2's password flow, in headless Chromium
// (Debian's) driven by playwright-core: the dialog takes a username and a
// password, Swagger UI gets an access token at POST /token, and "Try it
// out" on GET /info answers 200 with it.  Saves a screenshot.
//
//   node docs-oauth.js BASE_URL USERNAME PASSWORD SCREENSHOT.png
// Prints one line per check; exits 1 on the first that fails.
const { launch, expectInfo200 } = require('./browser');

const [base, user, password, shot] = process.argv.slice(2);

async function main() {
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    const tokenCalls = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/token') tokenCalls.push(r.status());
    });
    await page.goto(`${base}/docs/`, { waitUntil: 'networkidle' });
    const info = page.locator('#operations-api-info');
    await info.waitFor({ timeout: 15000 });

    await page.locator('.auth-wrapper .authorize').click();
    const dialog = page.locator('.modal-ux');
    const scheme = dialog.locator('.auth-container', { hasText: 'password' }).filter({ has: page.locator('#oauth_username') });
    await scheme.locator('#oauth_username').fill(user);
    await scheme.locator('#oauth_password').fill(password);
    await scheme.locator('button.authorize').click();
    // Authorized: the dialog offers to log out (the inputs are gone).
    await dialog.locator('button', { hasText: 'Logout' }).first().waitFor({ timeout: 15000 });
    if (tokenCalls.length !== 1 || tokenCalls[0] !== 200) {
      throw new Error(`POST /token answered ${tokenCalls.join(', ')}`);
    }
    console.log('ok: Authorize logged in with a username and password (POST /token 200)');
    await dialog.locator('button.close-modal').click();

    await info.locator('.opblock-summary').click();
    await info.getByRole('button', { name: 'Try it out' }).click();
    await info.getByRole('button', { name: 'Execute' }).click();
    await expectInfo200(page, info);
    const curl = await info.locator('.curl-command').first().textContent();
    if (!/Authorization: Bearer eyJ/.test(curl)) {
      throw new Error(`the call did not carry the access token: ${curl}`);
    }
    console.log('ok: Try it out on GET /info with the access token answers 200 {"info": "The answer is 42."}');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`ok: screenshot ${shot}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.log(`not ok: ${e.message}`);
  process.exit(1);
});
