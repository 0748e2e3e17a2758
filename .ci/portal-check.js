// Walks the sandbox's developer portal in Debian's headless Chromium (playwright-core, no browser
// download) as a newcomer would, and calls the API with the keys it got like any integrator
// (Node's fetch, as curl would):
//   1. sign up, find the verification link in the sandbox outbox, verify, sign in;
//   2. create an app: Shared Key and Secret Key shown once;
//   3. get tokens with them (client credentials V2 and V1, the sandbox user's password grant),
//      read a profile, fail once on purpose, register a customer through Register v4;
//   4. the request inspector shows those calls with redacted bodies, updates live, filters by status;
//   5. rotate the secret: both work during the grace period (the server runs with a short
//      CUSTREG_SECRET_ROTATION_GRACE), then the old one is refused, and the inspector shows that;
//   6. none of the values entered or received (passwords, secrets, tokens, the customer's
//      personal data) appears in the inspector's text or source, the server log, the cookies or
//      the browser's storage; the portal's cookies are HttpOnly and SameSite=Strict; no page
//      logs a script error or a Content-Security-Policy violation.
// A screenshot of every step goes to OUT_DIR/portal-*.png.
//
//   NODE_PATH=.cache/npm-tools/node_modules node .ci/portal-check.js http://127.0.0.1:8080 build build/integration/server-portal.log
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [base, outDir, serverLog] = process.argv.slice(2);
if (!base || !outDir || !serverLog) {
  console.error('usage: node .ci/portal-check.js BASE_URL OUT_DIR SERVER_LOG');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const grace = Number(process.env.PORTAL_GRACE_SECONDS || 5);

const run = crypto.randomBytes(4).toString('hex');
const developer = { email: `dev.${run}@example.com`, password: `Portal pass ${run} 7!` };
const sandboxUser = { login: 'sandboxuser1', password: 'Sandbox2024!' };
const customer = {
  member: '468531842', firstName: 'Avery', lastName: 'Quinlan', email: `avery.quinlan.${run}@example.com`,
  street: '742 Evergreen Terrace', zip: '62704', phone: '2175550147', birthDate: '1988-04-12',
  ssn: '123456780', maiden: 'Pemberton', login: `aq_${run}`, password: `Orange!Tree${run.slice(0, 2)}58`,
};
// Everything entered or received that must never be shown back; filled as the run goes.
const secrets = [developer.password, sandboxUser.password, customer.firstName, customer.lastName, customer.email,
  customer.street, customer.phone, customer.birthDate, customer.ssn, customer.maiden, customer.login, customer.password];

const problems = [];
let step = 0;
async function shot(page, name) {
  step++;
  const file = path.join(outDir, `portal-${String(step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  screenshot ${file}`);
}
function expect(ok, what) {
  if (!ok) problems.push(what);
  return ok;
}
const tid = () => crypto.randomUUID();
const basic = (id, secret) => 'Basic ' + Buffer.from(`${id}:${secret}`).toString('base64');

async function v2Token(keys, form, fi = '01111') {
  const res = await fetch(`${base}/oauth2/v1/token`, {
    method: 'POST', body: new URLSearchParams(form),
    headers: { Authorization: basic(keys.id, keys.secret), transactionId: tid(), institutionId: fi },
  });
  return { status: res.status, body: await res.json() };
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'custreg-portal-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath, headless: true, viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = context.pages()[0] || (await context.newPage());
  try {
    page.on('pageerror', err => problems.push(`script error: ${err.message}`));
    // Failed loads are judged by the response listener, which knows the URL (the browser asks for
    // /favicon.ico on the outbox's JSON page, which has none).
    page.on('console', msg => {
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console error on ${page.url()}: ${msg.text()}`);
    });
    page.on('response', res => {
      if (res.url().startsWith(base) && res.status() >= 400 && new URL(res.url()).pathname !== '/favicon.ico') {
        problems.push(`HTTP ${res.status()} for ${res.url()}`);
      }
    });
    page.on('requestfailed', req => { if (req.url().startsWith(base)) problems.push(`request failed: ${req.url()}`); });
    const labelled = async () => {
      const unlabelled = await page.$$eval('input:not([type=hidden]), select', els => els.filter(e => e.labels.length === 0).map(e => e.name || e.id));
      expect(unlabelled.length === 0, `inputs without a label on ${page.url()}: ${unlabelled}`);
    };

    // 1. Sign up, verify through the outbox, sign in.
    await page.goto(`${base}/portal`);
    await shot(page, 'landing');
    await page.getByRole('link', { name: 'Sign up' }).first().click();
    await labelled();
    await page.getByLabel('Email address').fill(developer.email);
    await page.getByLabel('Password').fill(developer.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Check the sandbox outbox' }).waitFor();
    await shot(page, 'check-the-outbox');
    await page.getByRole('link', { name: /\/sandbox\/outbox\?to=/ }).click();
    const outbox = JSON.parse(await page.locator('body').innerText());
    await shot(page, 'outbox');
    const link = (outbox.messages[0].body.match(/https?:\/\/\S+\/portal\/verify\?token=\S+/) || [])[0];
    if (!expect(link, `no verification link in the outbox: ${JSON.stringify(outbox)}`)) return;
    await page.goto(link);
    await shot(page, 'verify');
    await page.getByRole('button', { name: 'Verify my address' }).click();
    await page.getByText('Your address is verified').waitFor();
    await labelled();
    await page.getByLabel('Email address').fill(developer.email);
    await page.getByLabel('Password').fill(developer.password);
    await shot(page, 'verified-sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your apps' }).first().waitFor();
    await labelled();

    // 2. Create an app: its keys, once.
    await page.getByLabel('App name').fill('My onboarding app');
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.getByText('it is shown only once').waitFor();
    const keys = { id: (await page.locator('#shared-key').innerText()).trim(), secret: (await page.locator('#secret-key').innerText()).trim() };
    secrets.push(keys.secret);
    await shot(page, 'keys-shown-once');
    await page.goto(`${base}/portal/apps`);
    expect(!(await page.content()).includes(keys.secret), 'the apps page shows the secret');

    // 3. Use them, like any integrator.
    const cc = await v2Token(keys, { grant_type: 'client_credentials', scopes: 'institution-users:read' });
    expect(cc.status === 200, `client-credentials token: ${cc.status} ${JSON.stringify(cc.body)}`);
    const login = await v2Token(keys, { grant_type: 'password', username: sandboxUser.login, password: sandboxUser.password });
    expect(login.status === 200 && login.body.refresh_token, `password grant: ${login.status}`);
    secrets.push(cc.body.access_token, login.body.access_token, login.body.refresh_token);
    const profile = await fetch(`${base}/v1/customers/${sandboxUser.login}?userIdType=LOGIN_ID`,
      { headers: { Authorization: `Bearer ${cc.body.access_token}`, correlationId: tid() } });
    expect(profile.status === 200, `profile: ${profile.status}`);
    const wrong = await v2Token({ id: keys.id, secret: 'not-the-secret-key' }, { grant_type: 'client_credentials' });
    expect(wrong.status === 401, `a wrong secret: ${wrong.status}`);
    const v1res = await fetch(`${base}/v1/oauth/token`, { method: 'POST', body: 'grant_type=client_credentials',
      headers: { Authorization: basic(keys.id, keys.secret), di_tid: tid(), di_fiid: '01111', 'Content-Type': 'application/x-www-form-urlencoded' } });
    const v1 = ((await v1res.text()).match(/<access_token>([^<]+)</) || [])[1];
    expect(v1res.status === 200 && v1, `V1 token: ${v1res.status}`);
    secrets.push(v1);
    const registration = await fetch(`${base}/registration/v4/fis/01111/fiCustomers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${v1}`, di_tid: tid(), 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ FICustomer: {
        memberNumber: customer.member,
        person: { personName: { firstName: customer.firstName, lastName: customer.lastName },
          contactInfo: { emailAddress: customer.email,
            postalAddress: [{ address1: customer.street, city: 'Springfield', state: 'IL', postalCode: customer.zip, country: 'US' }],
            phoneNumber: [{ number: customer.phone }] },
          birthDate: customer.birthDate },
        channelInfos: { channelInfo: [{ channelType: 'TPV_API', credential: { loginId: customer.login, password: customer.password } }] },
        acceptedDisclosure: 'true', userType: 'PRIMARY', ssn: customer.ssn, motherMaidenName: customer.maiden } }),
    });
    const registered = await registration.json();
    expect(registration.status === 200, `Register v4: ${registration.status} ${JSON.stringify(registered)}`);
    console.log(`token, profile, a refused secret, a V1 token and a registration (customer ${registered.FICustomer && registered.FICustomer.id.value}) sent`);

    // 4. The inspector shows them, redacted, and updates live.
    await page.goto(`${base}/portal/requests`);
    await labelled();
    const rows = page.locator('#requests > li');
    expect(await rows.count() === 6, `the inspector lists ${await rows.count()} requests, want 6`);
    const listed = await page.locator('#requests').innerText();
    for (const want of ['/oauth2/v1/token', '/v1/customers/:customerId', '/v1/oauth/token', '/registration/v4/fis/:di_fiid/fiCustomers', 'CMN_90004']) {
      expect(listed.includes(want), `the inspector does not list ${want}`);
    }
    const registrationRow = page.locator('#requests > li', { hasText: '/registration/v4/' });
    await registrationRow.locator('summary').click();
    const shownRegistration = await registrationRow.innerText();
    expect(shownRegistration.includes('"ssn": "[redacted]"') && shownRegistration.includes('registerCustomerV4'),
      `the registration's bodies are not shown redacted:\n${shownRegistration}`);
    await registrationRow.scrollIntoViewIfNeeded();
    await shot(page, 'inspector-registration-redacted');
    const passwordRow = page.locator('#requests > li', { hasText: 'grant_type=password' });
    await passwordRow.locator('summary').click();
    await shot(page, 'inspector-password-grant');

    const before = await rows.count();
    await v2Token(keys, { grant_type: 'client_credentials' }, '02222');
    await page.waitForFunction(n => document.querySelectorAll('#requests > li').length > n, before, { timeout: 10000 })
      .catch(() => problems.push('the inspector did not show a new request live within 10 s'));
    await shot(page, 'inspector-live-update');

    await page.getByLabel('Status').selectOption('4xx');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=4xx/);
    const statuses = await page.locator('#requests .status').allInnerTexts();
    expect(statuses.length === 1 && statuses[0] === '401', `the 4xx filter shows ${statuses}`);
    await shot(page, 'inspector-4xx');

    // 5. Rotate: the old secret works for the grace period, then stops.
    await page.goto(`${base}/portal/apps`);
    await page.getByRole('button', { name: /Rotate the secret/ }).click();
    await page.getByText('The previous Secret Key keeps working until').waitFor();
    const rotated = { id: keys.id, secret: (await page.locator('#secret-key').innerText()).trim() };
    const rotatedAt = Date.now();
    secrets.push(rotated.secret);
    await shot(page, 'rotated');
    const oldDuring = await v2Token(keys, { grant_type: 'client_credentials' });
    const newDuring = await v2Token(rotated, { grant_type: 'client_credentials' });
    expect(oldDuring.status === 200 && newDuring.status === 200, `during the grace period: old ${oldDuring.status}, new ${newDuring.status}`);
    expect(Date.now() - rotatedAt < grace * 1000, 'the grace period passed before the old secret was tried');
    await page.goto(`${base}/portal/apps`);
    await shot(page, 'apps-during-grace');
    await new Promise(resolve => setTimeout(resolve, Math.max(0, rotatedAt + grace * 1000 + 1500 - Date.now())));
    const oldAfter = await v2Token(keys, { grant_type: 'client_credentials' });
    const newAfter = await v2Token(rotated, { grant_type: 'client_credentials' });
    expect(oldAfter.status === 401 && oldAfter.body.code === 'CMN_90004', `the old secret after the grace period: ${oldAfter.status} ${JSON.stringify(oldAfter.body)}`);
    expect(newAfter.status === 200, `the new secret after the grace period: ${newAfter.status}`);
    secrets.push(oldDuring.body.access_token, newDuring.body.access_token, newAfter.body.access_token);
    await page.goto(`${base}/portal/requests?status=4xx`);
    const refused = page.locator('#requests > li').first();
    await refused.locator('summary').click();
    expect((await refused.innerText()).includes('credentials or token refused'), 'the inspector does not show the old secret refused');
    await shot(page, 'inspector-old-secret-refused');

    // 5b. The sample registration app takes keys of one's own: the rotated ones open its first
    //     step, its token request shows in the inspector, and the secret never reaches its page.
    const sample = await context.newPage();
    await sample.goto(`${base}/sample/register`, { waitUntil: 'load' });
    await sample.fill('#clientId', rotated.id);
    await sample.fill('#clientSecret', rotated.secret);
    await Promise.all([sample.waitForURL(u => u.pathname.endsWith('/account')), sample.click('button:has-text("Use these keys")')]);
    expect(!(await sample.content()).includes(rotated.secret), 'the sample app shows the secret');
    await shot(sample, 'sample-with-own-keys');
    await sample.close();
    await page.goto(`${base}/portal/requests`);
    expect((await page.locator('#requests > li').first().innerText()).includes('/v1/oauth/token'),
      "the inspector's newest request is not the sample app's V1 token request");
    await shot(page, 'inspector-sample-token');

    // 6. Nothing entered or received shows anywhere it should not.
    await page.goto(`${base}/portal/requests`);
    await page.locator('#requests summary').evaluateAll(els => els.forEach(e => e.click()));
    const inspectorText = await page.locator('body').innerText();
    const inspectorSource = await page.content();
    const storage = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length }));
    expect(storage.local === 0 && storage.session === 0, `the browser's storage holds ${JSON.stringify(storage)}`);
    const cookies = await context.cookies();
    for (const c of cookies.filter(c => c.path.startsWith('/portal'))) { // the sample's own are checked by sample-check.js
      expect(c.httpOnly && c.sameSite === 'Strict' && c.path === '/portal', `cookie ${c.name}: ${JSON.stringify({ ...c, value: '…' })}`);
    }
    const log = fs.readFileSync(serverLog, 'utf8');
    const places = { 'the inspector text': inspectorText, 'the inspector source': inspectorSource, 'the server log': log,
      'the cookies': JSON.stringify(cookies), 'the apps page': await (await fetch(`${base}/portal/apps`)).text() };
    for (const value of secrets.filter(v => v && v.length >= 4)) {
      for (const [where, content] of Object.entries(places)) {
        expect(!content.includes(value), `${where} shows a value it must not (${value.slice(0, 3)}…)`);
      }
    }
    // The developer's own address is theirs to see on the pages that name it, never in the inspector or the log.
    for (const [where, content] of Object.entries({ 'the inspector text': inspectorText, 'the server log': log })) {
      expect(!content.includes(developer.email), `${where} shows the developer's email address`);
    }
    console.log(`checked ${secrets.length} values against the inspector, the log, ${cookies.length} cookies and the storage`);
  } catch (err) {
    await page.screenshot({ path: path.join(outDir, 'portal-failure.png'), fullPage: true }).catch(() => {});
    console.error(`failed on ${page.url()} (screenshot ${path.join(outDir, 'portal-failure.png')})`);
    throw err;
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(() => {
  if (problems.length > 0) {
    console.error('portal check failed:\n  ' + problems.join('\n  '));
    process.exit(1);
  }
  console.log('portal check passed');
}, err => {
  console.error('portal check failed:', err);
  process.exit(1);
});
