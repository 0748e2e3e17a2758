// Walks the sandbox's reference registration app (/sample/register) in Debian's headless
// Chromium (driven by playwright-core, no browser download), as a developer trying it would:
//   - the keys step: one click takes the sandbox app (sandbox-app); its secret never reaches a page;
//   - step 1 shows the FI's policy, and Tab walks its fields in order;
//   - steps 2 and 3, with a phone number the API refuses (area code 123);
//   - the disclosures step: three disclosures with their links and own checkboxes; leaving a
//     required one unticked is refused at its checkbox, with the error summary focused;
//   - submit: the API's errorInfo comes back at the phone field (summary focused, its link
//     moves the focus to the input, the input described by its error); fixed, and submitted again;
//   - the success page shows the customer GUID (read back through the API) and links to the
//     request inspector;
//   - afterwards none of the SSN, password, birth date or maiden name typed is in a cookie, in
//     localStorage or sessionStorage, or in the page source, and the session cookie is HttpOnly;
//     no request left the sandbox's origin and no script error or CSP violation happened;
//   - with SERVER_LOG, none of those values (nor the client secret) is in the server's log.
// Screenshots of each step go to OUT_DIR (sample-*.png).
//
//   NODE_PATH=.cache/npm-tools/node_modules node .ci/sample-check.js http://127.0.0.1:8080 build [SERVER_LOG]
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [base, outDir, serverLog] = process.argv.slice(2);
if (!base || !outDir) {
  console.error('usage: node .ci/sample-check.js BASE_URL OUT_DIR [SERVER_LOG]');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const sample = `${base}/sample/register`;
const sandboxSecret = 'sandbox-secret';

// Fresh identifiers, so the check runs any number of times against one sandbox.
const rand = n => crypto.randomInt(10 ** (n - 1), 10 ** n).toString();
const user = {
  username: `web_${rand(6)}`,
  password: 'Harbor!Lights73',
  member: `WEB${rand(9)}`,
  first: 'Morgan', last: 'Ellery',
  ssn: `${crypto.randomInt(100, 600)}-${crypto.randomInt(10, 99)}-${crypto.randomInt(1000, 9999)}`,
  birth: '1986-03-27',
  maiden: 'Thistlewood',
  address: '48 Lantern Way', city: 'Springfield', state: 'IL', zip: '62704',
  badPhone: '123-456-7890', phone: '217-555-0177',
  email: `morgan.ellery.${rand(6)}@example.com`,
};
const privateValues = [user.ssn, user.ssn.replace(/-/g, ''), user.password, user.birth, user.maiden];

const problems = [];
const check = (ok, msg) => { if (!ok) problems.push(msg); };

async function shot(page, name) {
  const file = path.join(outDir, `sample-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  screenshot ${file}`);
}

async function fill(page, values) {
  for (const [id, v] of Object.entries(values)) await page.fill(`#${id}`, v);
}

async function continueTo(page, button, urlPart) {
  await Promise.all([page.waitForURL(u => u.pathname.endsWith(urlPart)), page.click(`button:has-text("${button}")`)]);
}

// activeIs reports whether the focused element matches the selector.
const activeIs = (page, selector) => page.evaluate(s => document.activeElement && document.activeElement.matches(s), selector);

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'custreg-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  const bodies = []; // every text answer of the sandbox: [url, text]
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on('pageerror', err => problems.push(`script error: ${err.message}`));
    page.on('console', msg => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
    page.on('request', req => { if (!req.url().startsWith(base)) problems.push(`request outside the sandbox: ${req.url()}`); });
    page.on('requestfailed', req => problems.push(`request failed: ${req.url()} (${req.failure().errorText})`));
    page.on('response', async res => {
      if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.url()}`);
      if (res.status() >= 300 && res.status() < 400) return; // redirects have no body to read
      try { bodies.push([res.url(), await res.text()]); } catch (e) { /* the page moved on */ }
    });

    // Keys.
    await page.goto(sample, { waitUntil: 'load' });
    check(page.url().endsWith('/sample/register/keys'), `the sample starts at ${page.url()}, want the keys step`);
    await shot(page, '1-keys');
    await continueTo(page, 'Use sandbox-app', '/account');

    // Step 1: the policy, the keyboard order, the answers.
    const policy = await page.locator('#policy').innerText();
    check(/Username: 8 to 20 characters/.test(policy) && /Password: 6 to 32 characters/.test(policy), `policy box: ${policy}`);
    await page.locator('body').focus();
    const order = [];
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => document.activeElement.id || document.activeElement.textContent.trim()));
    }
    const want = ['username', 'password', 'passwordConfirm', 'Continue'];
    const positions = want.map(w => order.indexOf(w));
    check(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1])), `Tab order ${JSON.stringify(order)}, want ${want.join(' → ')} in that order`);
    await fill(page, { username: user.username, password: user.password, passwordConfirm: user.password });
    await shot(page, '2-account');
    await continueTo(page, 'Continue', '/about-you');

    // Step 2.
    await fill(page, { memberNumber: user.member, firstName: user.first, lastName: user.last, ssn: user.ssn, birthDate: user.birth, maidenName: user.maiden });
    await shot(page, '3-about-you');
    await continueTo(page, 'Continue', '/contact');

    // Step 3, with a phone number the API refuses.
    await fill(page, { address1: user.address, city: user.city, state: user.state, postalCode: user.zip, phone: user.badPhone, email: user.email });
    await shot(page, '4-contact');
    await continueTo(page, 'Continue', '/disclosures');

    // Step 4: the FI's disclosures from the API, each with its link and its own checkbox.
    const boxes = page.locator('.disclosure input[type=checkbox]');
    check(await boxes.count() === 3, `${await boxes.count()} disclosure checkboxes, want 3 (IB, ESIGN, OLS)`);
    for (const d of await page.locator('.disclosure').all()) {
      const href = await d.locator('a').first().getAttribute('href');
      check(/^https:\/\/sandbox\.custreg\.example\/disclosures\/01111\//.test(href || ''), `disclosure link ${href}`);
    }
    await shot(page, '5-disclosures');
    await page.check('label:has-text("Online Banking Agreement")');
    await page.check('label:has-text("Online Statements Agreement")');
    await continueTo(page, 'Register', '/disclosures');
    const esignError = page.locator('.disclosure.field-invalid .field-error');
    check(/Accept the E-Sign Consent/.test(await esignError.innerText().catch(() => '')), 'no error at the unticked E-Sign Consent');
    check(await activeIs(page, '[data-error-summary]'), 'the error summary does not have the focus (required disclosure)');
    check(await page.isChecked('label:has-text("Online Banking Agreement")'), 'the ticked Online Banking Agreement was forgotten');
    await shot(page, '6-disclosure-required');

    // Submit: the API refuses the phone number; the app shows it at the field.
    await page.check('label:has-text("E-Sign Consent")');
    await continueTo(page, 'Register', '/contact');
    check(await activeIs(page, '[data-error-summary]'), 'the error summary does not have the focus (API error)');
    const phoneError = await page.locator('#phone-error').innerText().catch(() => '');
    check(/220014/.test(phoneError), `phone field error: ${JSON.stringify(phoneError)}`);
    check(await page.getAttribute('#phone', 'aria-invalid') === 'true', 'the phone input is not aria-invalid');
    check(/\bphone-error\b/.test(await page.getAttribute('#phone', 'aria-describedby') || ''), 'the phone input is not described by its error');
    check(await page.inputValue('#email') === user.email, 'the email address typed was lost');
    await shot(page, '7-field-error');
    await page.click('[data-error-summary] a[href="#phone"]');
    check(await activeIs(page, '#phone'), 'the summary link did not move the focus to the phone input');
    await page.fill('#phone', user.phone);
    await continueTo(page, 'Continue', '/disclosures');
    check(await page.isChecked('label:has-text("E-Sign Consent")'), 'the ticked disclosures were forgotten');
    await continueTo(page, 'Register', '/done');

    // Success.
    const guid = (await page.locator('#customer-guid').innerText()).trim();
    check(/^[0-9a-f]{32}$/.test(guid), `customer GUID ${JSON.stringify(guid)}`);
    check(await page.getAttribute('#inspector-link', 'href') === '/portal/requests', 'no link to the request inspector');
    check(await activeIs(page, '[data-focus-on-load]'), 'the confirmation does not have the focus');
    await shot(page, '8-done');
    const member = await registeredMember(guid);
    check(member === user.member, `the API has member ${member} for GUID ${guid}, want ${user.member}`);

    // Nothing private in the browser after submission.
    const cookies = await context.cookies();
    for (const c of cookies) {
      for (const v of [...privateValues, sandboxSecret]) check(!`${c.name}=${c.value}`.includes(v), `cookie ${c.name} carries a typed value`);
    }
    const session = cookies.find(c => c.name === 'webapp_session');
    check(session && session.httpOnly && session.sameSite === 'Lax', `session cookie ${JSON.stringify(session)}`);
    const storage = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
    for (const v of privateValues) check(!storage.includes(v), 'web storage carries a typed value');
    const source = await (await page.request.get(page.url())).text();
    const dom = await page.content();
    for (const v of privateValues) {
      check(!source.includes(v), 'the success page source carries a typed value');
      check(!dom.includes(v), 'the success page DOM carries a typed value');
    }
    for (const [url, text] of bodies) check(!text.includes(sandboxSecret), `the client secret reached the browser in ${url}`);
    if (serverLog) {
      const log = fs.readFileSync(serverLog, 'utf8');
      check(log.includes('"route":"/sample/register/*"'), `the sample's requests are not in ${serverLog}`);
      for (const v of [...privateValues, sandboxSecret]) check(!log.includes(v), `${serverLog} carries a value typed into the sample`);
    }
    console.log(`registered ${user.username} (member ${user.member}) through the sample app: customer GUID ${guid}`);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  if (problems.length > 0) {
    console.error('sample app check failed:\n  ' + problems.join('\n  '));
    process.exit(1);
  }
  console.log('sample app check passed');
}

// registeredMember reads the customer back through the API with the sandbox app's keys.
async function registeredMember(guid) {
  const basic = 'Basic ' + Buffer.from(`sandbox-app:${sandboxSecret}`).toString('base64');
  const tok = await fetch(`${base}/v1/oauth/token`, {
    method: 'POST', body: 'grant_type=client_credentials',
    headers: { Authorization: basic, di_tid: crypto.randomUUID(), di_fiid: '01111', 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  const token = (await tok.text()).match(/<access_token>([^<]+)</);
  if (!token) return `no token (HTTP ${tok.status})`;
  const res = await fetch(`${base}/bankingservices/v2/fis/01111/fiCustomers/${guid}?fiCustomerIdType=GUID`, {
    headers: { Authorization: `Bearer ${token[1]}`, di_tid: crypto.randomUUID(), Accept: 'application/json' },
  });
  if (!res.ok) return `HTTP ${res.status}`;
  return (await res.json()).memberNumber;
}

main().catch(err => {
  console.error('sample app check failed:', err);
  process.exit(1);
});
