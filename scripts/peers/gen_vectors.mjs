// The Node half of the peer vectors: drives alipay-sdk (npm) through its own public API.
// Called by gen_vectors.py with a JSON request on stdin; answers JSON on stdout.
// Needs TZ=Asia/Shanghai (set by the caller): the SDK formats `timestamp` in local time.

import { createRequire } from 'node:module';
import { createVerify } from 'node:crypto';
import path from 'node:path';

function die(msg) {
  process.stderr.write(`gen_vectors.mjs: ${msg}\n`);
  process.exit(1);
}

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const req = await readStdin();
const require = createRequire(path.join(req.node_dir, 'package.json'));
const sdkDir = path.join(req.node_dir, 'node_modules', 'alipay-sdk');
const { AlipaySdk } = require('alipay-sdk');
// Absolute paths bypass the package's export map: the SN helpers and the request signer are the
// SDK's own functions, not re-implementations.
const certUtil = require(path.join(sdkDir, 'dist', 'commonjs', 'antcertutil.js'));
const util = require(path.join(sdkDir, 'dist', 'commonjs', 'util.js'));

// Pin the clock: `new Date()` / `Date.now()` without arguments answer the fixed instant, so the
// SDK's local-time `timestamp` (and form names) are reproducible.
const FIXED_MS = Date.parse(req.fixed_now);
const RealDate = Date;
class PinnedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(FIXED_MS);
    else super(...args);
  }
  static now() { return FIXED_MS; }
}
globalThis.Date = PinnedDate;

const K = req.keys;

function sdkFor(signType, extra = {}) {
  return new AlipaySdk({
    appId: req.app_id,
    privateKey: K.app_private_key,
    keyType: 'PKCS8',
    alipayPublicKey: K.alipay_public_key,
    signType,
    gateway: req.gateway,
    ...extra,
  });
}

function verifyWith(publicPem, signType, content, sign) {
  const alg = signType === 'RSA' ? 'RSA-SHA1' : 'RSA-SHA256';
  return createVerify(alg).update(content, 'utf8').verify(publicPem, sign, 'base64');
}

// The parameter set a link carries: the gateway's query (URLSearchParams, form rules) — the SDK
// puts some params there with URL.searchParams and appends the rest with encodeURIComponent,
// both of which form decoding inverts exactly.
function paramsOfQuery(query) {
  const sp = new URLSearchParams(query);
  const out = {};
  for (const [k, v] of sp) {
    if (Object.hasOwn(out, k)) die(`duplicate key ${k} in ${query}`);
    out[k] = v;
  }
  return out;
}

function sortedObject(o) {
  const r = {};
  for (const k of Object.keys(o).sort()) r[k] = o[k];
  return r;
}

// The SDK signs `k=v` for every key in sorted order, empty values included. Rebuild that string
// from the parameters it emitted and prove it is what was signed (the SDK does not expose it).
function recordSigned(id, call, method, signType, inputs, params, extra) {
  const p = { ...params };
  const sign = p.sign;
  delete p.sign;
  const canonical = Object.keys(p).sort().map(k => `${k}=${p[k]}`).join('&');
  if (!verifyWith(K.app_public_key, signType, canonical, sign)) {
    die(`${id}: rebuilt canonical string does not verify against the peer's signature`);
  }
  return {
    id,
    peer: 'alipay-sdk',
    call,
    method,
    sign_type: signType,
    inputs,
    params: sortedObject(p),
    canonical,
    canonical_source: "rebuilt with the peer's rule (sorted keys, raw k=v, empties kept) and checked against the peer's signature",
    empty_values_signed: Object.values(p).some(v => v === ''),
    sign,
    ...extra,
  };
}

function links() {
  const S = req.subjects;
  const out = [];
  const base = { outTradeNo: 'LC20250314092653001', totalAmount: '1579.00' };
  const cases = [
    ['page/ascii/rsa2', 'page', 'ascii', 'RSA2', req.return_url, req.notify_url],
    ['page/cjk/rsa2', 'page', 'cjk', 'RSA2', req.return_url, req.notify_url],
    ['page/special/rsa2/no-notify', 'page', 'special', 'RSA2', req.return_url, null],
    ['wap/ascii/rsa2/no-notify', 'wap', 'ascii', 'RSA2', req.return_url, null],
    ['wap/cjk/rsa2', 'wap', 'cjk', 'RSA2', req.return_url, req.notify_url],
    ['wap/special/rsa2/no-urls', 'wap', 'special', 'RSA2', null, null],
    ['page/cjk/rsa', 'page', 'cjk', 'RSA', req.return_url, req.notify_url],
    ['page/special/rsa/no-notify', 'page', 'special', 'RSA', req.return_url, null],
    // Node signs an empty value as `k=` (Alipay's Java SDK drops it).
    ['page/ascii/rsa2/empty-notify', 'page', 'ascii', 'RSA2', req.return_url, ''],
  ];
  for (const [id, api, subj, st, ret, notify] of cases) {
    const sdk = sdkFor(st);
    const method = `alipay.trade.${api}.pay`;
    const bizContent = {
      ...base,
      subject: S[subj],
      productCode: api === 'page' ? 'FAST_INSTANT_TRADE_PAY' : 'QUICK_WAP_WAY',
    };
    const bizParams = { method: 'GET', bizContent };
    if (ret !== null) bizParams.returnUrl = ret;
    if (notify !== null) bizParams.notifyUrl = notify;
    const link = sdk.pageExec(method, bizParams);
    const query = link.slice(link.indexOf('?') + 1);
    out.push(recordSigned(`node/${id}`, 'AlipaySdk.pageExec(method, { method: "GET", ... })', method, st,
      bizParams, paramsOfQuery(query), { link }));
  }

  // Optional business fields; passback_params URL-encoded by the caller as Alipay asks.
  {
    const sdk = sdkFor('RSA2');
    const bizParams = {
      method: 'GET',
      bizContent: {
        ...base, subject: S.cjk, productCode: 'FAST_INSTANT_TRADE_PAY', body: '含税 & 发票',
        timeoutExpress: '30m', passbackParams: encodeURIComponent('merchant=luffy&course=42'),
      },
      returnUrl: req.return_url,
      notifyUrl: req.notify_url,
    };
    const link = sdk.pageExecute('alipay.trade.page.pay', bizParams);
    out.push(recordSigned('node/page/cjk/rsa2/optional-fields', 'AlipaySdk.pageExecute(method, { method: "GET", ... })',
      'alipay.trade.page.pay', 'RSA2', bizParams, paramsOfQuery(link.slice(link.indexOf('?') + 1)), { link }));
  }

  // The POST form variant: same signed set, carried in hidden inputs.
  {
    const sdk = sdkFor('RSA2');
    const bizParams = {
      bizContent: { ...base, subject: S.special, productCode: 'FAST_INSTANT_TRADE_PAY' },
      returnUrl: req.return_url,
      notifyUrl: req.notify_url,
    };
    const html = sdk.pageExec('alipay.trade.page.pay', 'POST', bizParams);
    const action = /action="([^"]*)"/.exec(html)[1];
    const params = paramsOfQuery(action.slice(action.indexOf('?') + 1));
    for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)" \/>/g)) {
      if (Object.hasOwn(params, m[1])) die(`duplicate form field ${m[1]}`);
      params[m[1]] = m[2].replaceAll('&quot;', '"');
    }
    out.push(recordSigned('node/page/special/rsa2/post-form', 'AlipaySdk.pageExec(method, "POST", ...)',
      'alipay.trade.page.pay', 'RSA2', bizParams, params, { form_html: html }));
  }

  // sdkExecute: the app-pay order string (no alipay_sdk parameter there).
  {
    const sdk = sdkFor('RSA2');
    const bizParams = {
      bizContent: { ...base, subject: S.cjk, productCode: 'QUICK_MSECURITY_PAY' },
      notifyUrl: req.notify_url,
    };
    const query = sdk.sdkExecute('alipay.trade.app.pay', bizParams);
    out.push(recordSigned('node/sdkExecute/app/cjk/rsa2', 'AlipaySdk.sdkExecute', 'alipay.trade.app.pay',
      'RSA2', bizParams, paramsOfQuery(query), { query }));
  }

  // The SDK's request signer itself (what exec() uses for server calls).
  {
    const sdk = sdkFor('RSA2');
    const params = { bizContent: { outTradeNo: 'LC20250314092653001' } };
    const signed = util.sign('alipay.trade.query', params, sdk.config);
    out.push(recordSigned('node/sign/query/rsa2', 'util.sign (used by AlipaySdk.exec)', 'alipay.trade.query',
      'RSA2', params, { ...signed }, {}));
  }

  // Certificate mode: app_cert_sn and alipay_root_cert_sn are signed parameters.
  {
    const sdk = sdkFor('RSA2', {
      alipayPublicKey: undefined,
      appCertContent: req.certs.find(c => c.id === 'app_cert').pem,
      alipayPublicCertContent: req.certs.find(c => c.id === 'alipay_cert').pem,
      alipayRootCertContent: req.certs.find(c => c.id === 'root_bundle').pem,
    });
    const bizParams = {
      method: 'GET',
      bizContent: { ...base, subject: S.ascii, productCode: 'FAST_INSTANT_TRADE_PAY' },
      returnUrl: req.return_url,
      notifyUrl: req.notify_url,
    };
    const link = sdk.pageExec('alipay.trade.page.pay', bizParams);
    out.push(recordSigned('node/cert/page/ascii/rsa2', 'AlipaySdk({appCertContent, ...}).pageExec',
      'alipay.trade.page.pay', 'RSA2', bizParams, paramsOfQuery(link.slice(link.indexOf('?') + 1)), { link }));
  }
  return out;
}

function verdict(fn) {
  try {
    return fn();
  } catch (e) {
    // The first clause only: later ones quote the signature and the extracted text.
    return `${e.name}: ${String(e.message).split(/[,，]/)[0]}`;
  }
}

function callbacks() {
  const out = {};
  for (const c of req.callbacks || []) {
    const sdk = sdkFor(c.fields.sign_type === 'RSA' ? 'RSA' : 'RSA2');
    out[c.id] = {
      checkNotifySign: verdict(() => sdk.checkNotifySign({ ...c.fields })),
      checkNotifySignV2: verdict(() => sdk.checkNotifySignV2({ ...c.fields })),
    };
  }
  return out;
}

function responses() {
  const out = {};
  for (const r of req.responses || []) {
    const sdk = sdkFor(r.sign_type);
    // As AlipaySdk.exec does: the sign from the parsed body, the method's response key.
    const responseKey = `${r.method.replaceAll('.', '_')}_response`;
    const sign = JSON.parse(r.body).sign;
    out[r.id] = {
      checkResponseSign: verdict(() => {
        sdk.checkResponseSign(r.body, responseKey, sign, 'trace');
        return 'verified';
      }),
      getSignStr: sdk.getSignStr(r.body, responseKey),
    };
  }
  return out;
}

function certs() {
  const out = {};
  for (const c of req.certs) {
    out[c.id] = {
      getSN: verdict(() => certUtil.getSN(c.pem, c.is_root)),
      getSNFromPath: verdict(() => certUtil.getSNFromPath(req.cert_paths[c.id], c.is_root)),
    };
  }
  return out;
}

const versions = {
  'alipay-sdk': require(path.join(sdkDir, 'package.json')).version,
  '@fidm/x509': require(path.join(req.node_dir, 'node_modules', '@fidm', 'x509', 'package.json')).version,
};

const answer = req.only_certs
  ? { certs: certs(), versions }
  : { links: links(), callbacks: callbacks(), responses: responses(), certs: certs(), versions };
process.stdout.write(JSON.stringify(answer));
