// Writes the copy of openapi/openapi.yaml that the Prism proxy validates against.
//
//   node .ci/prism-spec.js [--break] openapi/openapi.yaml build/integration/openapi.prism.json
//
// Prism 5.14 does not parse XML bodies: it hands the raw text of an application/xml body to the
// JSON-schema validator, so every XML response (and the XML Register v4 request) would be
// reported as "body must be object" although it is correct. This copy changes only the schema
// of the application/xml media types, to a plain string, and drops their examples; status codes,
// media types, headers, parameters, security and every JSON body are validated exactly as the
// contract says. XML bodies are checked against the real schemas by the Go tests (the harness in
// handlers/ validates every response, XML through xmlcodec) and structurally by the collection.
//
// --break writes a deliberately wrong copy instead, for the check that Prism catches violations:
// TokenV2.expires_in becomes an integer (the service sends a string, as the contract says) and
// GET /v1/accounts loses its 404 response (the service answers 404 ACC_00101 for unknown users).
'use strict';

const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');

const args = process.argv.slice(2);
const breakContract = args[0] === '--break';
const [src, dst] = breakContract ? args.slice(1) : args;
if (!src || !dst) {
  console.error('usage: node .ci/prism-spec.js [--break] SPEC.yaml OUT.json');
  process.exit(2);
}

const spec = yaml.load(fs.readFileSync(src, 'utf8'));
const relaxed = [];
const isXML = mediaType => /^application\/(.+\+)?xml$/.test(mediaType.split(';')[0].trim());

function relax(content, where) {
  for (const mediaType of Object.keys(content || {})) {
    if (!isXML(mediaType)) continue;
    content[mediaType] = { schema: { type: 'string' } };
    relaxed.push(`${where} ${mediaType}`);
  }
}

for (const [p, item] of Object.entries(spec.paths || {})) {
  for (const [method, op] of Object.entries(item)) {
    if (!op || typeof op !== 'object' || !op.responses) continue;
    const where = `${method.toUpperCase()} ${p}`;
    if (op.requestBody && op.requestBody.content) relax(op.requestBody.content, `${where} request`);
    for (const [status, response] of Object.entries(op.responses)) {
      if (response.content) relax(response.content, `${where} ${status}`);
    }
  }
}
for (const [name, response] of Object.entries((spec.components || {}).responses || {})) {
  relax(response.content, `components.responses.${name}`);
}
for (const [name, body] of Object.entries((spec.components || {}).requestBodies || {})) {
  relax(body.content, `components.requestBodies.${name}`);
}

if (breakContract) {
  spec.components.schemas.TokenV2.properties.expires_in = { type: 'integer' };
  delete spec.paths['/v1/accounts'].get.responses['404'];
  console.log(`${dst}: deliberately wrong: TokenV2.expires_in is an integer, GET /v1/accounts has no 404`);
}

fs.mkdirSync(path.dirname(dst), { recursive: true });
fs.writeFileSync(dst, JSON.stringify(spec, null, 2) + '\n');
console.log(`${dst}: XML bodies validated as strings only (Prism cannot parse XML) in ${relaxed.length} places:`);
for (const r of relaxed) console.log(`  ${r}`);
