// Opens /docs in Debian's headless Chromium (driven by playwright-core, no browser download),
// waits for Swagger UI to render the reference, and checks it like a reader would:
//   - the page loads without script errors or failed requests of its own origin;
//   - every operation of /openapi.json is rendered, Register v4 ("registerCustomerV4",
//     "Register a customer (v4)") among them, and it expands to show its parameters;
//   - screenshots of the page top and of the expanded Register v4 go to OUT_DIR.
//
//   NODE_PATH=.cache/npm-tools/node_modules node .ci/docs-check.js http://127.0.0.1:8080 build
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error('usage: node .ci/docs-check.js BASE_URL OUT_DIR');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const operationSelector = '#operations-registration-registerCustomerV4';
const expectedSummary = 'Register a customer (v4)';

async function main() {
  const spec = await (await fetch(`${base}/openapi.json`)).json();
  const methods = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);
  const operations = Object.values(spec.paths).flatMap(item => Object.keys(item).filter(m => methods.has(m)));

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'custreg-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  const problems = [];
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on('pageerror', err => problems.push(`script error: ${err.message}`));
    page.on('console', msg => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
    page.on('response', res => {
      if (res.url().startsWith(base) && res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.url()}`);
    });
    page.on('requestfailed', req => {
      if (req.url().startsWith(base)) problems.push(`request failed: ${req.url()} (${req.failure().errorText})`);
    });

    const started = Date.now();
    await page.goto(`${base}/docs`, { waitUntil: 'load' });
    const op = page.locator(operationSelector);
    await op.waitFor({ state: 'visible', timeout: 30000 });
    console.log(`Swagger UI rendered in ${Date.now() - started} ms (${await context.browser()?.version() || 'Chromium'})`);

    const summary = (await op.locator('.opblock-summary-description').textContent()).trim();
    if (summary !== expectedSummary) problems.push(`Register v4 summary is ${JSON.stringify(summary)}, want ${JSON.stringify(expectedSummary)}`);
    const rendered = await page.locator('.opblock').count();
    if (rendered !== operations.length) problems.push(`${rendered} operations rendered, /openapi.json has ${operations.length}`);
    await page.screenshot({ path: path.join(outDir, 'docs.png') });

    await op.locator('.opblock-summary').first().click();
    await op.locator('.opblock-body .parameters').first().waitFor({ state: 'visible', timeout: 15000 });
    const parameters = await op.locator('.parameters .parameter__name').allTextContents();
    for (const name of ['di_fiid', 'di_tid']) {
      if (!parameters.some(p => p.startsWith(name))) problems.push(`Register v4 shows no parameter ${name} (got ${parameters.join(', ')})`);
    }
    await op.scrollIntoViewIfNeeded();
    await op.screenshot({ path: path.join(outDir, 'docs-register-v4.png') });
    console.log(`${rendered} operations rendered; Register v4 expanded with parameters ${parameters.map(p => p.split(/\s/)[0]).join(', ')}`);
    console.log(`screenshots: ${path.join(outDir, 'docs.png')}, ${path.join(outDir, 'docs-register-v4.png')}`);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  if (problems.length > 0) {
    console.error('docs check failed:\n  ' + problems.join('\n  '));
    process.exit(1);
  }
}

main().catch(err => {
  console.error('docs check failed:', err);
  process.exit(1);
});
