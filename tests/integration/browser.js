// Headless Chromium (Debian's) for the suites' browser scripts, through
// playwright-core: as root in a sandbox, with no outside network to reach.
const { chromium } = require('playwright-core');

exports.launch = () => chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync'],
});
