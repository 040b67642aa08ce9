// Verifies Paydesk-made pay links and POST forms with the official Node SDK's own verification
// (AlipaySdk.checkNotifySignV2: raw values, sign_type kept in the signed set first — which is how
// requests are signed). Input: emit_links JSON (file argument or stdin). A tampered copy of each
// must fail, so the check cannot pass vacuously. Exit status 1 on any rejection.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const nodeDir = process.env.PAYDESK_PEERS_NODE_DIR;
if (!nodeDir) {
  console.error('verify_ours.mjs: source scripts/peers/env.sh first');
  process.exit(2);
}
const require = createRequire(path.join(nodeDir, 'package.json'));
const { AlipaySdk } = require('alipay-sdk');

const doc = JSON.parse(fs.readFileSync(process.argv[2] ?? 0, 'utf8'));
const pem = doc.app_public_key_pem;

function pairsOf(query) {
  const out = {};
  for (const [k, v] of new URLSearchParams(query)) {
    if (Object.hasOwn(out, k)) throw new Error(`duplicate key ${k}`);
    out[k] = v;
  }
  return out;
}

function same(a, b) {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

function unescapeHtml(s) {
  return s.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

function formFields(html) {
  const out = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    const k = unescapeHtml(m[1]);
    if (Object.hasOwn(out, k)) throw new Error(`duplicate form field ${k}`);
    out[k] = unescapeHtml(m[2]);
  }
  return out;
}

function peerVerifies(signType, params) {
  // The constructor insists on a private key; verification uses only alipayPublicKey.
  const sdk = new AlipaySdk({ appId: params.app_id ?? 'x', privateKey: pem, alipayPublicKey: pem, signType });
  return sdk.checkNotifySignV2({ ...params });
}

const bad = [];
let links = 0;
let forms = 0;
for (const v of doc.vectors) {
  const carried = pairsOf(v.link.slice(v.link.indexOf('?') + 1));
  if (!same(carried, v.params)) {
    bad.push(`${v.id}: the link does not carry exactly the signed parameters`);
    continue;
  }
  if (!peerVerifies(v.sign_type, carried)) bad.push(`${v.id}: link rejected`);
  const t = carried.timestamp;
  const tampered = { ...carried, timestamp: t.slice(0, -1) + (t.endsWith('9') ? '8' : '9') };
  if (peerVerifies(v.sign_type, tampered)) bad.push(`${v.id}: a tampered copy verified — the check is broken`);
  links += 1;
  if (v.form_html) {
    const fields = formFields(v.form_html);
    if (!same(fields, v.params)) bad.push(`${v.id}: the form does not carry exactly the signed parameters`);
    else if (!peerVerifies(v.sign_type, fields)) bad.push(`${v.id}: form rejected`);
    forms += 1;
  }
}
for (const b of bad) console.error(`alipay-sdk: ${b}`);
console.log(`alipay-sdk checked ${links} Paydesk links and ${forms} forms; ${bad.length} problems`);
process.exit(bad.length || links === 0 ? 1 : 0);
