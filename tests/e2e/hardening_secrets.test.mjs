// Secrets (issue 8 part 6): after traffic that exercises success, streaming, errors, auth failures
// and reloads, the provider key, the gateway token and the clients' Authorization values appear
// nowhere: logs (text/info and json/debug), the audit store, /metrics, /health, /keeptrusts/*,
// every response body and header, and the requests kt sends upstream (except the provider key in
// its own header).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startGateway, startMockServer } from './lib/harness.mjs';
import { openaiTarget, gatewayConfig, chat, chatStream, sleep, CHAT } from './lib/hardening.mjs';

const rnd = (p) => `${p}${randomBytes(12).toString('hex')}`;
const PROVIDER_KEY = rnd('sk-prov-');
const BACKUP_KEY = rnd('sk-back-');
const GW_TOKEN = rnd('gwtok-');
const WRONG_TOKENS = [rnd('wrong-'), rnd('wrong-'), rnd('wrong-')];
const CLIENT_API_KEY = rnd('clientkey-');
const SECRETS = [PROVIDER_KEY, BACKUP_KEY, GW_TOKEN, ...WRONG_TOKENS, CLIENT_API_KEY];
const env = { KT_SECRET_PRIMARY: PROVIDER_KEY, KT_SECRET_BACKUP: BACKUP_KEY };

let mockA;
let mockB;
before(async () => {
  mockA = await startMockServer();
  mockB = await startMockServer(['--require-token', BACKUP_KEY]);
});
after(async () => {
  await mockA?.stop();
  await mockB?.stop();
});

function findSecrets(where, text) {
  for (const s of SECRETS) {
    assert.ok(!text.includes(s), `${where} contains a secret (${s.slice(0, 8)}…): …${text.slice(Math.max(0, text.indexOf(s) - 200), text.indexOf(s) + 60)}…`);
    // Also a base64 or URL-encoded form of it.
    assert.ok(!text.includes(Buffer.from(s).toString('base64').slice(0, 20)), `${where} contains a base64 secret`);
  }
}

async function exercise(gw, seen) {
  const auth = { authorization: `Bearer ${GW_TOKEN}` };
  const record = async (what, p) => {
    const r = await p;
    seen.push([what, `${r.status} ${JSON.stringify([...(r.headers?.entries?.() ?? [])])} ${r.text}`]);
    return r;
  };
  const get = (p, headers = auth) => record(`GET ${p}`, fetch(`${gw.base}${p}`, { headers })
    .then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() })));
  // Success, JSON and stream, with an extra client key header that must not travel upstream.
  const ok = await record('chat', chat(gw.base, CHAT('gpt-4o-mini', 'hello'), { headers: { ...auth, 'x-api-key': CLIENT_API_KEY, 'api-key': CLIENT_API_KEY } }));
  assert.equal(ok.status, 200, ok.text);
  const st = await record('stream', chatStream(gw.base, CHAT('gpt-4o-mini', 'hello stream'), { headers: auth }));
  assert.ok(st.done);
  // Auth failures with the clients' own tokens.
  for (const w of WRONG_TOKENS) {
    const r = await record('401', chat(gw.base, CHAT('gpt-4o-mini'), { headers: { authorization: `Bearer ${w}` } }));
    assert.equal(r.status, 401);
  }
  await record('401 basic', chat(gw.base, CHAT('gpt-4o-mini'), { headers: { authorization: `Basic ${Buffer.from(`u:${WRONG_TOKENS[0]}`).toString('base64')}` } }));
  await record('401 metrics', get('/metrics', { authorization: `Bearer ${WRONG_TOKENS[1]}` }));
  // Upstream failures whose bodies echo the credential (as some providers do).
  // (Queued on the mock, so the key never travels in the client's own request.)
  await mockA.fault('/v1/chat/completions', `status=401,body=Incorrect API key provided: ${PROVIDER_KEY}`);
  const e401 = await record('upstream 401 echo', chat(gw.base, CHAT('echo-model'), { headers: auth }));
  assert.ok(e401.status >= 400 && e401.json?.error, e401.text);
  await mockA.fault('/v1/chat/completions', `status=500,body=bad key ${PROVIDER_KEY}`);
  const e500 = await record('upstream 500 echo', chatStream(gw.base, CHAT('echo-model'), { headers: auth }));
  assert.ok(e500.status >= 400, e500.text);
  await record('fallback to the key-checking backup', chat(gw.base, CHAT('fb@fault=status=503'), { headers: auth }));
  await record('unknown model', chat(gw.base, CHAT('nope'), { headers: auth }));
  await record('bad json', chat(gw.base, '{"messages": [', { headers: auth }));
  await record('reload', fetch(`${gw.base}/keeptrusts/config/reload`, { method: 'POST', headers: auth })
    .then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() })));
  // The dashboard's ?token= (a browser cannot send a header) must not be logged either.
  // (Its page is not scanned: it may hand the token it was given to its own scripts.)
  const dash = await fetch(`${gw.base}/dashboard?token=${GW_TOKEN}`);
  assert.equal(dash.status, 200);
  await dash.text();
  for (const p of ['/health', '/healthz', '/readyz', '/metrics', '/keeptrusts/config', '/keeptrusts/events?limit=100', '/v1/models', '/dashboard']) {
    const r = await get(p);
    assert.ok(r.status < 500, `${p}: ${r.status}`);
  }
}

for (const [name, args] of [['text logs at info', []], ['json logs at debug', ['--log-level', 'debug', '--log-format', 'json']],
  ['text logs at trace', ['--log-level', 'trace']]]) {
  test(`no secret anywhere: ${name}`, async () => {
    // `echo` has no fixed model: it serves any other model name (the kt-mock fault specs).
    const targets = openaiTarget('a', 'gpt-4o-mini', mockA.url, { key: 'KT_SECRET_PRIMARY' })
      + openaiTarget('fb', 'fb@fault=status=503', mockA.url, { key: 'KT_SECRET_PRIMARY' })
      + openaiTarget('backup', 'gpt-4o-mini', mockB.url, { key: 'KT_SECRET_BACKUP' })
      + `    - id: echo\n      provider: openai\n      base_url: ${mockA.url}\n      secret_key_ref: {env: KT_SECRET_PRIMARY}\n`;
    const config = gatewayConfig({
      targets,
      providersExtra: '  fallback: {enabled: true, max_fallback_attempts: 1}',
      chain: '[audit-logger]',
    });
    const gw = await startGateway({ config, env, args: ['--api-token', GW_TOKEN, ...args] });
    const seen = [];
    try {
      await mockA.clear();
      await mockB.clear();
      await exercise(gw, seen);
      // What kt sent upstream: the provider key only in Authorization, nothing else secret.
      for (const [m, key] of [[mockA, PROVIDER_KEY], [mockB, BACKUP_KEY]]) {
        const reqs = await m.requests('/v1/');
        assert.ok(reqs.length > 0);
        for (const r of reqs) {
          assert.equal(r.headers.authorization, `Bearer ${key}`);
          const rest = JSON.stringify({ ...r, headers: { ...r.headers, authorization: undefined } });
          findSecrets(`upstream request ${r.path}`, rest);
        }
      }
      for (const [what, text] of seen) findSecrets(`response to ${what}`, text);
      await sleep(500);
    } finally {
      await gw.stop();
    }
    findSecrets('stderr', gw.proc.stderr);
    findSecrets('stdout', gw.proc.stdout);
    if (args.includes('debug') || args.includes('trace')) assert.ok(gw.proc.stderr.length > 200, 'debug logging produced output');
    for (const f of readdirSync(gw.dir)) {
      if (!f.startsWith('kt-events.db')) continue;
      findSecrets(`audit store ${f}`, readFileSync(path.join(gw.dir, f)).toString('latin1'));
    }
  });
}
