// Headless Chromium (Debian's) for the suites' browser scripts, through
// playwright-core: as root in a sandbox, with no outside network to reach.
const { chromium } = require('playwright-core');

exports.launch = () => chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync'],
});

// Waits until Swagger UI's GET /info block shows a 200, and checks that its
// body is the answer; throws otherwise.
exports.expectInfo200 = async (page, info) => {
  await page.waitForFunction(() => {
    const el = document.querySelector('#operations-api-info .live-responses-table tbody .response-col_status');
    return el && el.textContent.trim().startsWith('200');
  }, null, { timeout: 15000 });
  const body = await info.locator('.live-responses-table tbody .response-col_description pre').first().textContent();
  if (!body.includes('"info": "The answer is 42."') && !body.includes('"info":"The answer is 42."')) {
    throw new Error(`200 without the answer: ${body}`);
  }
};
