// Runs the official Candescent Postman collections (../shared/official/postman-collections) against a
// sandbox, with assertions added from outside: the collections carry none of their own.
//
//   NODE_PATH=.cache/npm-tools/node_modules node .ci/official.js OFFICIAL_DIR BASE_URL OUT_DIR LABEL
//
// Every collection's retail folder ("👤 Retail User"; a collection without one, Institution
// Disclosures, runs whole) runs with newman and postman/official-sandbox.postman_environment.json
// (apigee_base_url set to BASE_URL; "environmentOverrides" of .ci/official-collections.json change
// a variable for one collection, with the reason). Each request must then
//   - answer 2xx, except the "Verify Token Revocation" steps, which must answer 401;
//   - for token steps (POST /oauth2/v1/token, POST /v1/oauth/token), carry an access_token in the
//     form the collection's own script parses: JSON access_token (V2), XML <token><access_token> (V1);
//   - raise no script error in the collection's own scripts.
// Requests of operations not implemented yet are listed in .ci/official-collections.json
// ("expectedFailures", each with its reason): they must fail, and one that passes fails the run
// until it leaves the list; an entry no request matches fails the run too (the list only shrinks).
//
// Through a Prism proxy (LABEL "prism"), every violation Prism reports in the sl-violations header
// must match an entry of "officialDefects" in the same file (a defect of the official document
// itself, with its reason; docs/compatibility.md lists them). Any other violation fails the run,
// except on a request that is expected to fail (its operation does not exist here yet, so neither
// does a conforming answer); those are listed in the summary.
// Reports: OUT_DIR/official-LABEL-*.json (newman) and OUT_DIR/official-LABEL.txt (this summary).
'use strict';

const fs = require('fs');
const path = require('path');
const newman = require('newman');

const [officialDir, baseUrl, outDir, label] = process.argv.slice(2);
if (!officialDir || !baseUrl || !outDir || !label) {
  console.error('usage: node .ci/official.js OFFICIAL_DIR BASE_URL OUT_DIR LABEL');
  process.exit(2);
}
const viaPrism = label === 'prism';
const root = path.join(__dirname, '..');
const expected = JSON.parse(fs.readFileSync(path.join(__dirname, 'official-collections.json'), 'utf8'));
const environment = path.join(root, 'postman/official-sandbox.postman_environment.json');

const collections = [
  'Authentication/OAuth V1/OAuth V1.postman_collection.json',
  'Authentication/OAuth V2/OAuth V2.postman_collection.json',
  'Core Banking/Accounts/Accounts.postman_collection.json',
  'Customer Management/Profile And Status/Profile and Status.postman_collection.json',
  'Documents And Preferences/Institution Disclosures/Institution Disclosures.postman_collection.json',
  'Documents And Preferences/User Disclosures/User Disclosures.postman_collection.json',
];

const retail = name => /Retail User/.test(name);
const hasRetail = collection => collection.item.some(it => it.item && retail(it.name));

// The collections offer each flow twice, as alternatives: with a client-credentials token and with
// a user's password token, on the same user. Run one after the other they would meet each other's
// state (the second "Delete Online Statement User Disclosure" finds nothing left to delete), so the
// runner makes two passes: every folder but the "Password" ones, then only the "Password" ones.
const passes = [
  ['main', name => name !== 'Password'],
  ['password', name => name === 'Password'],
];

// prune keeps the folders (and the requests in them) that keep() accepts at the level where a
// "Client Credential"/"Password" choice is made; above that level folders are kept when anything
// inside them is, below it everything is kept.
function prune(items, keep) {
  const choice = items.some(it => it.item && (it.name === 'Password' || /Client Credential/.test(it.name)));
  const out = [];
  for (const it of items) {
    if (!it.item) {
      if (keep('') ) out.push(it);
      continue;
    }
    if (choice && (it.name === 'Password' || /Client Credential/.test(it.name))) {
      if (keep(it.name)) out.push(it);
      continue;
    }
    const inner = prune(it.item, keep);
    if (inner.length) out.push({ ...it, item: inner });
  }
  return out;
}
const strip = name => name.replace(/[\u{1F300}-\u{1FAFF}\u2600-\u27BF]\uFE0F?\s*/gu, '').trim();

// itemPath names a request as "Collection › Folder › … › Request", without the emoji.
function itemPath(collectionName, item) {
  const names = [];
  for (let it = item; it && typeof it.parent === 'function'; it = it.parent()) {
    if (it.name !== undefined && it.parent()) names.unshift(strip(it.name));
  }
  return [collectionName, ...names].join(' › ');
}

function run(options) {
  return new Promise((resolve, reject) => newman.run(options, (err, summary) => (err ? reject(err) : resolve(summary))));
}

function accessTokenOf(exec) {
  const url = exec.request.url.getPath();
  const body = exec.response ? exec.response.stream.toString('utf8') : '';
  if (url.endsWith('/oauth2/v1/token')) {
    try {
      const tok = JSON.parse(body).access_token;
      return typeof tok === 'string' && tok !== '' ? '' : 'no JSON access_token';
    } catch (e) {
      return 'token answer is not JSON';
    }
  }
  if (url.endsWith('/v1/oauth/token')) {
    return /^(<\?xml[^>]*\?>\s*)?<token>(?:(?!<\/token>).)*<access_token>[^<]+<\/access_token>/s.test(body)
      ? '' : 'no XML <token><access_token>';
  }
  return '';
}

// matches: a defect names the endpoint ("POST /oauth2/v1/token", a regular expression) and the
// violation text.
function matches(entry, endpoint, text) {
  return new RegExp(`^(?:${entry.endpoint})$`).test(endpoint) && new RegExp(`^(?:${entry.violation})$`).test(text);
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const lines = [];
  const problems = [];
  const seen = new Set();
  const usedDefects = new Set();
  let requests = 0;
  for (const rel of collections) {
    const file = path.join(officialDir, 'postman-collections', rel);
    const whole = JSON.parse(fs.readFileSync(file, 'utf8'));
    const name = whole.info.name;
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    const overrides = Object.entries((expected.environmentOverrides[name] || {}).values || {});
    for (const [pass, keep] of passes) {
      const collection = { ...whole, item: prune(whole.item.filter(it => !it.item || !hasRetail(whole) || retail(it.name)), keep) };
      if (collection.item.length === 0) continue;
      const summary = await run({
        collection, environment,
        envVar: [{ key: 'apigee_base_url', value: baseUrl }, ...overrides.map(([key, value]) => ({ key, value }))],
        timeoutRequest: 30000,
        reporters: ['json'], reporter: { json: { export: path.join(outDir, `official-${label}-${slug}-${pass}.json`) } },
      });
      check(name, summary);
    }
  }
  function check(name, summary) {
    const failuresByItem = new Map();
    for (const f of summary.run.failures) {
      const id = f.source && f.source.id;
      if (!failuresByItem.has(id)) failuresByItem.set(id, []);
      failuresByItem.get(id).push(`${f.error.name}: ${f.error.message}`);
    }
    for (const exec of summary.run.executions) {
      requests++;
      const request = itemPath(name, exec.item);
      const status = exec.response ? exec.response.code : 0;
      const verifyRevocation = /Verify Token Revocation/.test(exec.item.name);
      const faults = [];
      if (exec.requestError) faults.push(`request error ${exec.requestError.message}`);
      if (verifyRevocation ? status !== 401 : !(status >= 200 && status < 300)) {
        faults.push(`status ${status}, want ${verifyRevocation ? '401' : '2xx'}`);
      } else {
        const tok = accessTokenOf(exec);
        if (tok) faults.push(tok);
      }
      faults.push(...(failuresByItem.get(exec.item.id) || []));
      const expectedFailure = expected.expectedFailures.find(e => e.request === request);
      if (expectedFailure) seen.add(request);
      if (expectedFailure && faults.length === 0) {
        problems.push(`${request}: passes now; remove it from expectedFailures in .ci/official-collections.json`);
      } else if (!expectedFailure && faults.length > 0) {
        problems.push(`${request}: ${faults.join('; ')}`);
      }
      let verdict = faults.length === 0 ? 'pass' : expectedFailure ? `expected failure (${expectedFailure.status})` : 'FAIL';
      if (viaPrism && exec.response) {
        const header = exec.response.headers.get('sl-violations');
        for (const v of header ? JSON.parse(header) : []) {
          const text = `${v.location ? v.location.join('.') : ''}: ${v.message}`;
          const endpoint = `${exec.request.method} ${exec.request.url.getPath()}`;
          const defect = expected.officialDefects.findIndex(d => matches(d, endpoint, text));
          if (defect < 0 && expectedFailure) {
            verdict += ' | violation of a request expected to fail: ' + text; // not implemented yet
          } else if (defect < 0) {
            problems.push(`${request}: Prism violation not explained by a defect of the official document: ${text}`);
            verdict += ' | VIOLATION ' + text;
          } else {
            usedDefects.add(defect);
            verdict += ` | official defect ${expected.officialDefects[defect].id}`;
          }
        }
      }
      lines.push(`${status || '---'}  ${request}: ${verdict}`);
    }
  }
  for (const e of expected.expectedFailures) {
    if (!seen.has(e.request)) problems.push(`expectedFailures entry matches no request of the run: ${e.request}`);
  }
  const unused = expected.officialDefects.filter((d, i) => !usedDefects.has(i)).map(d => d.id);
  lines.push('', `${requests} requests, ${seen.size} expected failures` + (viaPrism ? `, official defects not seen: ${unused.join(', ') || 'none'}` : ''));
  fs.writeFileSync(path.join(outDir, `official-${label}.txt`), lines.join('\n') + '\n');
  console.log(lines.join('\n'));
  if (problems.length) {
    console.error('\nofficial collections (' + label + '):\n  ' + problems.join('\n  '));
    process.exit(1);
  }
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
