// Hot reload and graceful shutdown (issue 8 part 5). gateway_foundation.test.mjs only checks that
// SIGTERM exits 0 on an idle gateway; here: reload by endpoint and by SIGHUP with a request in
// flight, invalid files, and SIGTERM with streams in flight (drain, deadline, audit flush).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startGateway, startMockServer, startProcess, KT_BIN } from './lib/harness.mjs';
import { openaiTarget, gatewayConfig, chat, chatStream, assertEnvelope, sleep, CHAT } from './lib/hardening.mjs';

const env = { KT_HARD_KEY: 'sk-hardening-reload-77aa' };
let mock;
before(async () => { mock = await startMockServer(); });
after(async () => { await mock?.stop(); });

// v1 serves `old-model` (slow tokens) and `gpt-4o-mini`; v2 drops `old-model` and adds `new-model`.
const SLOW = 'slow_tokens=150';
const v1 = () => gatewayConfig({
  name: 'reload-pack',
  targets: openaiTarget('old', `old-model@fault=${SLOW}`, mock.url) + openaiTarget('a', 'gpt-4o-mini', mock.url),
}).replace('version: 1.0.0', 'version: 1.0.0');
const v2 = () => gatewayConfig({
  name: 'reload-pack',
  targets: openaiTarget('new', 'new-model', mock.url) + openaiTarget('a', 'gpt-4o-mini', mock.url),
}).replace('version: 1.0.0', 'version: 2.0.0');
const INVALID = 'pack: {name: reload-pack, version: 3.0.0, enabled: true}\npolicies:\n  chain: [prompt-injections]\n';
const LONG = 'one two three four five six seven eight nine ten eleven twelve';

async function packVersion(gw) {
  const r = await fetch(`${gw.base}/keeptrusts/config`);
  return (await r.json()).pack.version;
}

async function events(gw) {
  const r = await fetch(`${gw.base}/keeptrusts/events?limit=100`);
  const j = await r.json();
  return Array.isArray(j) ? j : (j.events ?? j.data ?? []);
}

test('POST /keeptrusts/config/reload: in-flight stream finishes on the old config, new requests see the new one', async () => {
  const gw = await startGateway({ config: v1(), env });
  try {
    const inflight = chatStream(gw.base, CHAT(`old-model@fault=${SLOW}`, LONG));
    await sleep(600); // a few tokens are out
    writeFileSync(gw.configPath, v2());
    const r = await fetch(`${gw.base}/keeptrusts/config/reload`, { method: 'POST' });
    assert.equal(r.status, 200);
    const body = await r.json();
    assert.equal(body.pack.version, '2.0.0');
    assert.equal(await packVersion(gw), '2.0.0');
    const gone = await chat(gw.base, CHAT(`old-model@fault=${SLOW}`));
    assertEnvelope(gone, 404, 'invalid_request_error', 'model_not_found');
    const fresh = await chat(gw.base, CHAT('new-model', 'hi'));
    assert.equal(fresh.status, 200, fresh.text);
    const s = await inflight;
    assert.equal(s.status, 200);
    assert.ok(s.done && s.finish === 'stop' && !s.error, s.text.slice(-300));
    assert.equal(s.content, `Hello! You said: ${LONG}`);
    // The audit events carry the config each request ran on.
    await sleep(300);
    const evs = await events(gw);
    const packOf = (e) => e.pack?.version ?? e.pack_version;
    const streamEv = evs.find((e) => e.stream === true);
    assert.ok(streamEv, `the stream's event: ${JSON.stringify(evs).slice(0, 400)}`);
    assert.equal(packOf(streamEv), '1.0.0');
    assert.ok(evs.some((e) => packOf(e) === '2.0.0' && e.model === 'new-model'));

    // An invalid file: 422 with the lint errors, the old (v2) config stays.
    writeFileSync(gw.configPath, INVALID);
    const bad = await fetch(`${gw.base}/keeptrusts/config/reload`, { method: 'POST' });
    assert.equal(bad.status, 422);
    const j = await bad.json();
    assert.equal(j.error.type, 'validation_error');
    assert.equal(j.error.param, null);
    assert.ok(JSON.stringify(j).includes('E001'), JSON.stringify(j));
    assert.match(JSON.stringify(j), /prompt-injection/);
    assert.equal(await packVersion(gw), '2.0.0');
    assert.equal((await chat(gw.base, CHAT('new-model'))).status, 200);
    // A missing file too.
    writeFileSync(gw.configPath, '');
    const empty = await fetch(`${gw.base}/keeptrusts/config/reload`, { method: 'POST' });
    assert.equal(empty.status, 422);
    assert.equal(await packVersion(gw), '2.0.0');
    const get = await fetch(`${gw.base}/keeptrusts/config/reload`);
    assert.equal(get.status, 405);
  } finally { await gw.stop(); }
});

test('SIGHUP reloads; an invalid file keeps the old config; concurrent reloads stay consistent', async () => {
  const gw = await startGateway({ config: v1(), env });
  try {
    const inflight = chatStream(gw.base, CHAT(`old-model@fault=${SLOW}`, LONG));
    await sleep(500);
    writeFileSync(gw.configPath, v2());
    gw.proc.child.kill('SIGHUP');
    const t0 = Date.now();
    while (await packVersion(gw) !== '2.0.0') {
      assert.ok(Date.now() - t0 < 5000, 'SIGHUP applied the new config');
      await sleep(50);
    }
    assert.equal((await chat(gw.base, CHAT('new-model'))).status, 200);
    const s = await inflight;
    assert.ok(s.done && s.finish === 'stop', s.text.slice(-300));
    assert.equal(s.content, `Hello! You said: ${LONG}`);

    writeFileSync(gw.configPath, INVALID);
    gw.proc.child.kill('SIGHUP');
    const t1 = Date.now();
    while (!/E001/.test(gw.proc.stderr)) {
      assert.ok(Date.now() - t1 < 5000, `the lint error is logged: ${gw.proc.stderr.slice(-500)}`);
      await sleep(50);
    }
    assert.equal(await packVersion(gw), '2.0.0');
    assert.equal((await chat(gw.base, CHAT('new-model'))).status, 200);

    // Many reloads racing with traffic: every request is answered by one whole config.
    writeFileSync(gw.configPath, v2());
    const reloads = Array.from({ length: 10 }, () => fetch(`${gw.base}/keeptrusts/config/reload`, { method: 'POST' }));
    const traffic = Array.from({ length: 30 }, (_, i) => chat(gw.base, CHAT('gpt-4o-mini', `r${i}`)));
    for (const r of await Promise.all(reloads)) assert.equal(r.status, 200);
    for (const r of await Promise.all(traffic)) assert.equal(r.status, 200, r.text);
    assert.equal(gw.proc.exited, null);
  } finally { await gw.stop(); }
});

function connectRefused(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      // Accepted by the kernel backlog: it must not be served.
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      let data = '';
      s.on('data', (d) => { data += d; });
      s.on('close', () => resolve(!/^HTTP\/1\.1 200/.test(data)));
      setTimeout(() => { s.destroy(); resolve(true); }, 2000);
    });
    s.on('error', () => resolve(true));
  });
}

async function exportEvents(dir) {
  const p = startProcess(KT_BIN, ['events', 'export', '--db', path.join(dir, 'kt-events.db'), '--since', '1h', '--format', 'json']);
  const r = await p.exitPromise;
  assert.equal(r.code, 0, p.stderr);
  const text = p.stdout.trim();
  if (text.startsWith('[')) return JSON.parse(text);
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

test('SIGTERM: stops accepting, drains in-flight streams, flushes their events, exits 0', async () => {
  const gw = await startGateway({ config: v1(), env, args: ['--drain-seconds', '10'] });
  const inflight = [chatStream(gw.base, CHAT(`old-model@fault=${SLOW}`, LONG)),
    chatStream(gw.base, CHAT(`old-model@fault=${SLOW}`, `${LONG} again`))];
  await sleep(500);
  const t0 = Date.now();
  gw.proc.child.kill('SIGTERM');
  await sleep(200);
  assert.ok(await connectRefused(gw.port), 'no new connection is served while draining');
  const [a, b] = await Promise.all(inflight);
  for (const [s, text] of [[a, LONG], [b, `${LONG} again`]]) {
    assert.ok(s.done && s.finish === 'stop' && !s.error, s.text.slice(-300));
    assert.equal(s.content, `Hello! You said: ${text}`);
  }
  const exit = await gw.proc.exitPromise;
  assert.equal(exit.code, 0, gw.proc.stderr.slice(-1000));
  assert.ok(Date.now() - t0 < 8000);
  const evs = await exportEvents(gw.dir);
  const streamed = evs.filter((e) => e.stream === true);
  assert.equal(streamed.length, 2, 'both in-flight requests have their event in the store');
  for (const e of streamed) assert.equal(e.verdict, 'allow');
});

test('SIGTERM: the drain deadline ends a stream that would run longer, still exits 0 with its event', async () => {
  const gw = await startGateway({ config: v1(), env, args: ['--drain-seconds', '1'] });
  const long = chatStream(gw.base, CHAT(`old-model@fault=${SLOW}`, `${LONG} ${LONG} ${LONG} ${LONG}`)).catch((e) => e);
  await sleep(400);
  const t0 = Date.now();
  gw.proc.child.kill('SIGTERM');
  const exit = await gw.proc.exitPromise;
  const took = Date.now() - t0;
  assert.equal(exit.code, 0, gw.proc.stderr.slice(-1500));
  assert.ok(took < 4000, `exited ${took} ms after SIGTERM with a 1 s drain deadline`);
  const s = await long;
  if (!(s instanceof Error)) {
    assert.ok(s.finish !== 'stop', 'the cut stream is not presented as complete');
  }
  assert.match(gw.proc.stderr, /drain deadline/);
  const evs = await exportEvents(gw.dir);
  assert.ok(evs.length >= 1, 'the cut request still has its event');
});
