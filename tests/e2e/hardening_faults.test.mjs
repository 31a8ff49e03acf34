// Upstream faults through kt-mock and kt (issue 8 part 2): every failure ends in a fallback when a
// fallback target exists, or in the documented error envelope / stream error event — never a hang,
// a crash, a silent truncation or an unbounded buffer. What openai_serving.test.mjs already covers
// (500/429-with-Retry-After/slow-headers/reset fallback, reset and truncation mid-stream, the
// 504 of slow headers on JSON) is not repeated here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startGateway, startMockServer, freePort, tempDir } from './lib/harness.mjs';
import {
  openaiTarget, gatewayConfig, chat, chatStream, assertEnvelope, assertStreamError, procStatus, CHAT,
} from './lib/hardening.mjs';

const KEY = 'sk-hardening-faults-9d1e';
const env = { KT_HARD_KEY: KEY };
let mockA; // faulty upstream
let mockB; // healthy fallback
let tls; // https upstream with a self-signed certificate
let closedPort;
let gwNoFb; // fallback disabled: the error envelope is what the client sees
let gwFb; // each faulty target followed by a healthy backup (one fallback attempt)

// A target per fault: [id, model, base URL, extra target lines]. The model carries the kt-mock
// fault spec, so one gateway serves every case.
function faultTargets() {
  return [
    ['refused', 'refused', `http://127.0.0.1:${closedPort}/v1`, ''],
    ['dns', 'dns', 'http://nonexistent.invalid/v1', ''],
    ['tls', 'tls', `https://127.0.0.1:${tls.address().port}/v1`, ''],
    ['slowhead', 'sh@fault=delay_headers=3000', mockA.url, '      timeout_ms: 600'],
    ['stallbody', 'sb@fault=stall=3000', mockA.url, '      timeout_ms: 600'],
    ['stallmid', 'sm@fault=stall=3000,after=3', mockA.url, '      timeout_ms: 1200'],
    ['malformed', 'mj@fault=malformed_json', mockA.url, ''],
    ['bigevent', 'be@fault=event_bytes=2097152', mockA.url, ''],
    ['rl', 'rl@fault=status=429', mockA.url, ''],
    ['s503', 's503@fault=status=503', mockA.url, ''],
    ['huge', 'huge@fault=huge=1073741824', mockA.url, '      timeout_ms: 120000'],
    ['plain', 'gpt-plain', mockA.url, ''],
  ];
}

before(async () => {
  mockA = await startMockServer();
  mockB = await startMockServer();
  closedPort = await freePort();
  const dir = tempDir('kt-tls-');
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  // Answers like OpenAI: if kt skipped certificate verification, the request would succeed.
  tls = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'tls',
        choices: [{ index: 0, message: { role: 'assistant', content: 'INSECURE' }, finish_reason: 'stop' }] }));
    });
  });
  await new Promise((r) => tls.listen(0, '127.0.0.1', r));

  const noFb = faultTargets().map(([id, m, u, x]) => openaiTarget(id, m, u, { extra: x })).join('');
  gwNoFb = await startGateway({
    config: gatewayConfig({
      targets: noFb,
      providersExtra: '  fallback: {enabled: false}\n  circuit_breaker: {failure_threshold: 5, cooldown_seconds: 2}',
    }), env,
  });
  const fb = faultTargets().filter(([id]) => id !== 'plain')
    .map(([id, m, u, x]) => openaiTarget(id, m, u, { extra: x })
      + openaiTarget(`${id}-backup`, 'gpt-4o-mini', mockB.url)).join('');
  gwFb = await startGateway({
    config: gatewayConfig({ targets: fb, providersExtra: '  fallback: {enabled: true, max_fallback_attempts: 1}' }), env,
  });
});

after(async () => {
  await gwNoFb?.stop();
  await gwFb?.stop();
  await mockA?.stop();
  await mockB?.stop();
  await new Promise((r) => (tls ? tls.close(r) : r()));
});

// A request that failed before its stream started is a plain error envelope; one that failed
// after is an error event then [DONE]. Either way the client is told.
function assertFailedStream(s, status, type) {
  if (s.status === 200) assertStreamError(s);
  else assertEnvelope({ ...s, json: s.json }, status, type);
}

async function stillServes(gw) {
  const r = await chat(gw.base, CHAT(gw === gwNoFb ? 'gpt-plain' : 'gpt-4o-mini'));
  assert.equal(r.status, 200, r.text);
  assert.match(r.json.choices[0].message.content, /You said/);
}

test('connection refused, DNS failure and an untrusted TLS certificate: 502 envelope, or fallback', async () => {
  for (const model of ['refused', 'dns', 'tls']) {
    const t0 = Date.now();
    const r = await chat(gwNoFb.base, CHAT(model));
    const e = assertEnvelope(r, 502, 'upstream_error');
    assert.ok(!r.text.includes('INSECURE'), 'a self-signed certificate is never trusted');
    if (model === 'tls') assert.match(e.message, /tls|certificate|handshake/i);
    if (model === 'dns') assert.match(e.message, /nonexistent\.invalid|resolve|host/i);
    assert.ok(Date.now() - t0 < 15000, `${model} answered in ${Date.now() - t0} ms`);
    const s = await chatStream(gwNoFb.base, CHAT(model));
    assertEnvelope(s, 502, 'upstream_error');

    await mockB.clear();
    const fb = await chat(gwFb.base, CHAT(model));
    assert.equal(fb.status, 200, fb.text);
    assert.equal(fb.json.model, 'gpt-4o-mini');
    const fs = await chatStream(gwFb.base, CHAT(model, 'stream after fallback'));
    assert.equal(fs.status, 200);
    assert.ok(fs.done && fs.finish === 'stop', fs.text.slice(-300));
    assert.match(fs.content, /You said: stream after fallback/);
    assert.equal((await mockB.requests('/v1/chat/completions')).length, 2);
  }
  await stillServes(gwNoFb);
});

test('slow headers on a stream and a stall after the headers of a JSON reply: 504, or fallback', async () => {
  const s = await chatStream(gwNoFb.base, CHAT('sh@fault=delay_headers=3000'));
  assertEnvelope(s, 504, 'upstream_error', 'upstream_timeout');
  const j = await chat(gwNoFb.base, CHAT('sb@fault=stall=3000'));
  assertEnvelope(j, 504, 'upstream_error', 'upstream_timeout');
  const fb = await chat(gwFb.base, CHAT('sb@fault=stall=3000'));
  assert.equal(fb.status, 200, fb.text);
  assert.equal(fb.json.model, 'gpt-4o-mini');
});

test('a stall in the middle of a stream ends it with a timeout error event within the deadline', async () => {
  for (const gw of [gwNoFb, gwFb]) {
    const t0 = Date.now();
    const s = await chatStream(gw.base, CHAT('sm@fault=stall=3000,after=3', 'one two three four five six'));
    const ms = Date.now() - t0;
    assertStreamError(s, 'upstream_error');
    assert.match(s.error.message, /time/i);
    assert.ok(ms < 2900, `ended at the 1.2 s target deadline, not after the 3 s stall (${ms} ms)`);
  }
  await stillServes(gwNoFb);
});

test('malformed upstream JSON: 502 envelope / stream error event, or fallback', async () => {
  const j = await chat(gwNoFb.base, CHAT('mj@fault=malformed_json'));
  const e = assertEnvelope(j, 502, 'upstream_error');
  assert.ok(!e.message.includes('"choices"'), 'no upstream body fragment in the message');
  const s = await chatStream(gwNoFb.base, CHAT('mj@fault=malformed_json'));
  assertFailedStream(s, 502, 'upstream_error');
  const fb = await chat(gwFb.base, CHAT('mj@fault=malformed_json'));
  assert.equal(fb.status, 200, fb.text);
  assert.equal(fb.json.model, 'gpt-4o-mini');
  const fs = await chatStream(gwFb.base, CHAT('mj@fault=malformed_json'));
  if (fs.error) assertStreamError(fs);
  else assert.ok(fs.done && fs.finish === 'stop' && /You said/.test(fs.content), fs.text.slice(-300));
});

test('an SSE event over the 1 MiB event limit fails the stream cleanly and kt keeps serving', async () => {
  const before = procStatus(gwNoFb.proc.child.pid);
  const s = await chatStream(gwNoFb.base, CHAT('be@fault=event_bytes=2097152'));
  assertFailedStream(s, 502, 'upstream_error');
  assert.ok(!s.content.includes('lorem ipsum'), 'no part of the oversized event reaches the client');
  const e = s.error ?? s.json?.error;
  assert.match(e.message, /size limit|too large|exceeds/i);
  const fs = await chatStream(gwFb.base, CHAT('be@fault=event_bytes=2097152'));
  if (fs.error) assertStreamError(fs);
  else assert.ok(fs.done && /You said/.test(fs.content));
  const afterS = procStatus(gwNoFb.proc.child.pid);
  assert.ok(afterS.hwmKb - before.hwmKb < 64 * 1024, `peak RSS grew ${(afterS.hwmKb - before.hwmKb) >> 10} MiB`);
  await stillServes(gwNoFb);
});

test('429 without Retry-After and 5xx answers: documented envelopes, JSON and stream', async () => {
  const r = await chat(gwNoFb.base, CHAT('rl@fault=status=429'));
  assertEnvelope(r, 429, 'rate_limit');
  const ra = r.headers.get('retry-after');
  assert.ok(ra === null || /^\d+$/.test(ra), `Retry-After absent or numeric, got ${ra}`);
  const s = await chatStream(gwNoFb.base, CHAT('rl@fault=status=429'));
  assertEnvelope(s, 429, 'rate_limit');
  const f = await chat(gwNoFb.base, CHAT('s503@fault=status=503'));
  const e = assertEnvelope(f, 502, 'upstream_error');
  assert.match(e.message, /overloaded/, 'the message names the upstream cause');
  const fs = await chatStream(gwNoFb.base, CHAT('s503@fault=status=503'));
  assertEnvelope(fs, 502, 'upstream_error');
});

test('a burst of 5xx: concurrent requests all fall back; without a fallback each fails, then recovery', async () => {
  await mockA.fault('/v1/chat/completions', 'status=500', 1000);
  try {
    await mockB.clear();
    const all = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2
      ? chat(gwFb.base, CHAT('s503@fault=status=503', `burst ${i}`))
      : chatStream(gwFb.base, CHAT('s503@fault=status=503', `burst ${i}`)))));
    for (const r of all) {
      assert.equal(r.status, 200, r.text.slice(0, 300));
      if (r.events) assert.ok(r.done && r.finish === 'stop', r.text.slice(-200));
      else assert.equal(r.json.model, 'gpt-4o-mini');
    }
    assert.equal((await mockB.requests('/v1/chat/completions')).length, 16);
    // Without a fallback: 502 per failure until the breaker opens (threshold 5), then 503.
    const fails = [];
    for (let i = 0; i < 8; ++i) fails.push(await chat(gwNoFb.base, CHAT('gpt-plain')));
    fails.slice(0, 5).forEach((r) => assertEnvelope(r, 502, 'upstream_error'));
    fails.slice(5).forEach((r) => assertEnvelope(r, 503, 'unavailable'));
  } finally {
    await fetch(`${mockA.base}/_mock/faults`, { method: 'DELETE' });
  }
  // The plain target's breaker may be open for its cooldown; wait for the probe to succeed.
  const deadline = Date.now() + 10000;
  let ok;
  while (Date.now() < deadline) {
    ok = await chat(gwNoFb.base, CHAT('gpt-plain'));
    if (ok.status === 200) break;
    assert.ok([502, 503].includes(ok.status), ok.text);
    await new Promise((res) => setTimeout(res, 500));
  }
  assert.equal(ok.status, 200, ok.text);
});

test('an upstream answering a gigabyte is cut at the response limit with a 502, memory bounded', async () => {
  const pid = gwNoFb.proc.child.pid;
  const before = procStatus(pid);
  const t0 = Date.now();
  const r = await chat(gwNoFb.base, CHAT('huge@fault=huge=1073741824'));
  const ms = Date.now() - t0;
  const e = assertEnvelope(r, 502, 'upstream_error');
  assert.match(e.message, /size limit|too large|exceeds/i);
  const afterS = procStatus(pid);
  const grewMiB = (afterS.hwmKb - before.hwmKb) >> 10;
  console.log(`# huge JSON answer: 502 after ${ms} ms; kt VmHWM ${before.hwmKb >> 10} -> ${afterS.hwmKb >> 10} MiB`);
  assert.ok(afterS.hwmKb < 1024 * 1024, `peak RSS ${afterS.hwmKb >> 10} MiB stays far below the 1 GiB answer`);
  assert.ok(grewMiB < 400, `peak RSS grew ${grewMiB} MiB`);
  // Streams: relayed as they come, cut at the 64 MiB stream limit with an error event; the
  // decision event keeps at most 1 MiB of the answer.
  const s = await chatStream(gwNoFb.base, CHAT('huge@fault=huge=1073741824'));
  const afterStream = procStatus(pid);
  console.log(`# huge stream: status ${s.status}, relayed ${s.content.length} bytes; VmHWM ${afterStream.hwmKb >> 10} MiB`);
  assertStreamError(s, 'upstream_error');
  assert.match(s.error.message, /size limit/);
  assert.ok(s.content.length <= 64 * 1024 * 1024 && s.content.length > 32 * 1024 * 1024, `${s.content.length}`);
  assert.ok(afterStream.hwmKb < 640 * 1024, `peak RSS ${afterStream.hwmKb >> 10} MiB (ASan quarantine included)`);
  let ev;
  for (let i = 0; i < 30 && !ev; ++i) {
    const evs = await (await fetch(`${gwNoFb.base}/keeptrusts/events?limit=5`)).json();
    const list = Array.isArray(evs) ? evs : (evs.events ?? evs.data ?? []);
    ev = list.find((x) => x.stream === true && x.model?.startsWith('huge'));
    if (!ev) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(ev, 'the cut stream has its decision event');
  const answer = ev.content?.answer ?? '';
  assert.ok(answer.length <= (1 << 20) + 100, `recorded answer ${answer.length} bytes`);
  const fb = await chat(gwFb.base, CHAT('huge@fault=huge=1073741824'));
  assert.equal(fb.status, 200, fb.text.slice(0, 300));
  assert.equal(fb.json.model, 'gpt-4o-mini');
  await stillServes(gwNoFb);
});
