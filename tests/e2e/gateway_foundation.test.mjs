// Foundation: health, readiness, metrics, auth, routing errors, limits and keep-alive over real HTTP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startGateway, tempDir, writeTemp } from './lib/harness.mjs';

const CONFIG = `
pack: {name: foundation-test, version: 1.0.0, enabled: true}
policies:
  chain: [audit-logger]
policy:
  audit-logger: {immutable: true, retention_days: 30, log_all_access: true}
providers:
  targets:
    - id: local-openai
      provider: openai
      model: gpt-4o-mini
      base_url: http://127.0.0.1:9/v1
      secret_key_ref: {env: KT_TEST_FOUNDATION_KEY}
`;

let gw;
let gwAuth;
before(async () => {
  const env = { KT_TEST_FOUNDATION_KEY: 'sk-foundation-secret-value-123456' };
  gw = await startGateway({ config: CONFIG, env });
  gwAuth = await startGateway({ config: CONFIG, env, args: ['--api-token', 'gw-token-xyz'] });
});
after(async () => {
  await gw?.stop();
  await gwAuth?.stop();
});

// Raw HTTP/1.1 request on a given agent (to observe keep-alive) or a fresh connection.
function request(base, path, { method = 'GET', headers = {}, body, agent } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(path, base);
    const req = http.request(u, { method, headers, agent }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data, socket: req.socket }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function assertEnvelope(r, status, type) {
  assert.equal(r.status, status, r.body);
  const j = JSON.parse(r.body);
  assert.ok(j.error, 'error envelope');
  assert.equal(typeof j.error.message, 'string');
  assert.ok(j.error.message.length > 0);
  assert.equal(j.error.type, type);
  assert.ok('code' in j.error);
  assert.equal(j.error.param, null);
  assert.ok(r.headers['x-request-id'], 'x-request-id on every response');
  return j;
}

test('healthz and readyz answer once the config is loaded', async () => {
  const h = await request(gw.base, '/healthz');
  assert.equal(h.status, 200);
  assert.deepEqual(JSON.parse(h.body), { status: 'ok' });
  assert.match(h.headers['x-request-id'], /^req_[0-9a-f]{24}$/);
  const r = await request(gw.base, '/readyz');
  assert.equal(r.status, 200);
});

test('x-request-id from the client is echoed', async () => {
  const r = await request(gw.base, '/healthz', { headers: { 'x-request-id': 'client-id-42' } });
  assert.equal(r.headers['x-request-id'], 'client-id-42');
});

test('/health reports providers, policies and version', async () => {
  const r = await request(gw.base, '/health');
  assert.equal(r.status, 200);
  const h = JSON.parse(r.body);
  assert.ok(['healthy', 'degraded', 'unhealthy'].includes(h.status));
  assert.equal(typeof h.uptime_seconds, 'number');
  assert.match(h.version, /^\d+\.\d+\.\d+/);
  assert.equal(h.providers['local-openai'], 'reachable');
  assert.equal(h.policies_loaded, 1);
  assert.equal(typeof h.requests_processed, 'number');
});

test('/metrics is Prometheus text with the product metric names', async () => {
  await request(gw.base, '/v1/chat/completions', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const r = await request(gw.base, '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  for (const name of [
    'keeptrusts_gateway_requests_total', 'keeptrusts_gateway_request_duration_seconds',
    'keeptrusts_gateway_policy_evaluations_total', 'keeptrusts_gateway_policy_duration_seconds',
    'keeptrusts_gateway_upstream_ttfb_seconds', 'keeptrusts_gateway_fallbacks_total',
    'keeptrusts_gateway_in_flight_requests']) {
    assert.match(r.body, new RegExp(`# TYPE ${name} `), name);
  }
  assert.match(r.body, /keeptrusts_gateway_requests_total\{target="none",model="unknown",status="404"\} [1-9]/);
  assert.match(r.body, /keeptrusts_gateway_request_duration_seconds_bucket\{route="\/v1\/chat\/completions",le="\+Inf"\} [1-9]/);
  assert.ok(!r.body.includes('sk-foundation-secret-value'), 'no secret in metrics');
});

test('gateway token: 401 without, 200 with; health stays open', async () => {
  const no = await request(gwAuth.base, '/v1/models');
  assertEnvelope(no, 401, 'authentication_error');
  const wrong = await request(gwAuth.base, '/v1/models', { headers: { authorization: 'Bearer nope' } });
  assertEnvelope(wrong, 401, 'authentication_error');
  const ok = await request(gwAuth.base, '/v1/models', { headers: { authorization: 'Bearer gw-token-xyz' } });
  assert.equal(ok.status, 200);
  assert.deepEqual(JSON.parse(ok.body).data.map((m) => m.id), ['gpt-4o-mini']);
  const metrics = await request(gwAuth.base, '/metrics');
  assert.equal(metrics.status, 401);
  const cfg = await request(gwAuth.base, '/keeptrusts/config');
  assert.equal(cfg.status, 401);
  assert.equal((await request(gwAuth.base, '/healthz')).status, 200);
});

test('unknown route 404 and wrong method 405, OpenAI-shaped', async () => {
  const nf = await request(gw.base, '/v1/nothing-here');
  const j = assertEnvelope(nf, 404, 'invalid_request_error');
  assert.equal(j.error.code, 'not_found');
  const mna = await request(gw.base, '/v1/chat/completions');
  assertEnvelope(mna, 405, 'invalid_request_error');
  assert.equal(mna.headers.allow, 'POST');
  const mna2 = await request(gw.base, '/healthz', { method: 'POST', body: '' });
  assert.equal(mna2.status, 405);
});

test('unknown model 404 model_not_found lists the served models', async () => {
  const r = await request(gw.base, '/v1/chat/completions', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-9', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const j = assertEnvelope(r, 404, 'invalid_request_error');
  assert.equal(j.error.code, 'model_not_found');
  assert.match(j.error.message, /gpt-4o-mini/);
  const m = await request(gw.base, '/v1/models/gpt-9');
  assert.equal(m.status, 404);
  const ok = await request(gw.base, '/v1/models/gpt-4o-mini');
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).object, 'model');
});

test('malformed JSON and bad fields are 422 validation_error', async () => {
  const r = await request(gw.base, '/v1/chat/completions', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": "gpt-4o-mini", "messages": [',
  });
  assertEnvelope(r, 422, 'validation_error');
  const r2 = await request(gw.base, '/v1/chat/completions', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini' }),
  });
  const j = assertEnvelope(r2, 422, 'validation_error');
  assert.match(j.error.message, /messages/);
});

test('a body over 10 MiB is refused with 413', async () => {
  // A raw socket: declare an 11 MiB body, send part of it, and read the answer.
  const r = await new Promise((resolve, reject) => {
    const s = net.connect(gw.port, '127.0.0.1', () => {
      s.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${11 * 1024 * 1024}\r\n\r\n`);
      s.write('x'.repeat(64 * 1024));
    });
    let data = '';
    s.on('data', (d) => { data += d; });
    s.on('end', () => resolve(data));
    s.on('error', () => resolve(data));
    setTimeout(() => { s.destroy(); resolve(data); }, 10000);
  });
  assert.match(r, /^HTTP\/1\.1 413/);
  assert.match(r, /"type":"validation_error"/);
  assert.match(r, /"code":"request_too_large"/);
  assert.match(r, /x-request-id: /i);
});

test('headers over 16 KiB are refused with 431', async () => {
  const r = await new Promise((resolve, reject) => {
    const s = net.connect(gw.port, '127.0.0.1', () => {
      s.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`);
    });
    let data = '';
    s.on('data', (d) => { data += d; });
    s.on('end', () => resolve(data));
    s.on('error', reject);
  });
  assert.match(r, /^HTTP\/1\.1 431/);
  assert.match(r, /"type":"validation_error"/);
});

test('keep-alive: several requests share one connection', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const a = await request(gw.base, '/healthz', { agent });
  const b = await request(gw.base, '/health', { agent });
  const c = await request(gw.base, '/v1/models', { agent });
  assert.equal(a.status, 200);
  assert.equal(b.status, 200);
  assert.equal(c.status, 200);
  assert.equal(a.socket, b.socket);
  assert.equal(b.socket, c.socket);
  agent.destroy();
});

test('/keeptrusts/config shows the config without secret values', async () => {
  const r = await request(gw.base, '/keeptrusts/config');
  assert.equal(r.status, 200);
  assert.ok(r.body.includes('KT_TEST_FOUNDATION_KEY'));
  assert.ok(!r.body.includes('sk-foundation-secret-value'));
  const j = JSON.parse(r.body);
  assert.equal(j.pack.name, 'foundation-test');
});

test('an invalid config at start-up exits 2 with lint errors', async () => {
  const { startProcess, KT_BIN } = await import('./lib/harness.mjs');
  const dir = tempDir();
  const cfg = writeTemp(dir, 'bad.yaml', 'pack: {name: x, version: 1.0.0, enabled: true}\npolicies:\n  chain: [prompt-injections]\n');
  const p = startProcess(KT_BIN, ['gateway', 'run', '--listen', '127.0.0.1:0', '--policy-config', cfg,
    '--audit-db', `${dir}/e.db`]);
  const r = await p.exitPromise;
  assert.equal(r.code, 2);
  assert.match(p.stderr, /error\[E001\]/);
  assert.match(p.stderr, /Did you mean 'prompt-injection'\?/);
});

test('SIGTERM drains and exits 0', async () => {
  const g = await startGateway({ config: CONFIG, env: { KT_TEST_FOUNDATION_KEY: 'x' } });
  const r = await g.stop('SIGTERM');
  assert.equal(r.code, 0);
  assert.match(g.proc.stderr, /stopped/);
});
