// Bad client input over raw sockets and fetch (issue 8 part 3): every shape gets a clear
// OpenAI-shaped error (or a clean close) and the gateway keeps serving. Covered elsewhere and not
// repeated: truncated JSON, a missing `messages` (gateway_foundation), a declared Content-Length
// over 10 MiB, one header over 16 KiB, Replicate cancel on a mid-stream disconnect
// (replicate_runtime).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, startMockServer } from './lib/harness.mjs';
import { startMock } from './lib/mock.mjs';
import {
  openaiTarget, gatewayConfig, chat, assertEnvelope, rawExchange, parseRaw, sleep, CHAT,
} from './lib/hardening.mjs';

const env = { KT_HARD_KEY: 'sk-hardening-input-4f2a', REPLICATE_API_TOKEN: 'r8_hardeningInput12345' };
const LLAMA = 'meta/llama-3.3-70b-instruct';
let mock;
let rmock; // kt-mock for the Replicate target (its own, so --upstream does not redirect OpenAI)
let gw;
let rgw;

before(async () => {
  mock = await startMockServer();
  rmock = await startMock({ coldStartMs: 3000 });
  const targets = openaiTarget('a', 'gpt-4o-mini', mock.url)
    + openaiTarget('slow', 'slow@fault=slow_tokens=200', mock.url);
  gw = await startGateway({ config: gatewayConfig({ targets }), env });
  rgw = await startGateway({
    config: `pack: {name: hardening-input-r, version: 1.0.0, enabled: true}
policies: {chain: [audit-logger]}
providers:
  fallback: {enabled: false}
  targets:
    - {id: llama, provider: "replicate:chat:${LLAMA}"}
`, env, args: ['--upstream', rmock.replicateBase],
  });
});
after(async () => {
  await gw?.stop();
  await rgw?.stop();
  await mock?.stop();
  await rmock?.stop();
});

async function stillServes() {
  const r = await chat(gw.base, CHAT('gpt-4o-mini', 'still here?'));
  assert.equal(r.status, 200, r.text);
  assert.match(r.json.choices[0].message.content, /still here/);
  assert.equal(gw.proc.exited, null, 'kt is still running');
}

const post = (body, extra = '') => `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n`
  + `Content-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

test('invalid JSON, wrong types and empty messages are 422 validation_error', async () => {
  const cases = [
    ['not json', 'hello'],
    ['top-level array', '[]'],
    ['top-level string', '"x"'],
    ['messages is a string', { model: 'gpt-4o-mini', messages: 'hi' }],
    ['messages is empty', { model: 'gpt-4o-mini', messages: [] }],
    ['message is a number', { model: 'gpt-4o-mini', messages: [42] }],
    ['role missing', { model: 'gpt-4o-mini', messages: [{ content: 'x' }] }],
    ['content is a number', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 42 }] }],
    ['model is a number', { model: 7, messages: [{ role: 'user', content: 'x' }] }],
    ['stream is a string', { model: 'gpt-4o-mini', stream: 'yes', messages: [{ role: 'user', content: 'x' }] }],
    ['empty body', ''],
  ];
  for (const [name, body] of cases) {
    const r = await chat(gw.base, body);
    const e = assertEnvelope(r, 422, 'validation_error');
    assert.ok(e.message.length < 500, `${name}: a short message`);
  }
  assert.equal((await mock.requests('/v1/chat/completions')).length, 0, 'nothing reached the upstream');
  await stillServes();
});

test('invalid UTF-8 and 100k nested brackets: 422, no crash', async () => {
  const bad = Buffer.concat([Buffer.from('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"a'),
    Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}]}')]);
  const r = parseRaw((await rawExchange(gw.port, [Buffer.from(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n`
    + `Content-Type: application/json\r\nContent-Length: ${bad.length}\r\nConnection: close\r\n\r\n`), bad])).text);
  assertEnvelope({ ...r, headers: r.headers }, 422, 'validation_error');
  for (const open of ['[', '{"a":']) {
    const deep = open.repeat(100000);
    const d = await chat(gw.base, deep);
    assertEnvelope(d, 422, 'validation_error');
    const inMessages = await chat(gw.base, `{"model":"gpt-4o-mini","messages":[{"role":"user","content":${deep}`);
    assertEnvelope(inMessages, 422, 'validation_error');
  }
  await stillServes();
});

test('a message just under 10 MiB is served; just over is 413, also when chunked', async () => {
  const limit = 10 * 1024 * 1024;
  const envelope = JSON.stringify(CHAT('gpt-4o-mini', ''));
  const under = JSON.stringify(CHAT('gpt-4o-mini', 'a'.repeat(limit - envelope.length - 64)));
  assert.ok(under.length < limit);
  const ok = await chat(gw.base, under);
  assert.equal(ok.status, 200, ok.text.slice(0, 300));
  assert.ok(ok.json.choices[0].message.content.length > limit - 1024, 'the echo came back whole');
  const over = JSON.stringify(CHAT('gpt-4o-mini', 'a'.repeat(limit + 16)));
  const big = await chat(gw.base, over);
  assertEnvelope(big, 413, 'validation_error', 'request_too_large');
  // Chunked: no Content-Length to refuse up front; the limit applies while reading.
  const chunks = [`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n`
    + 'Transfer-Encoding: chunked\r\n\r\n'];
  const piece = 'a'.repeat(1024 * 1024);
  for (let i = 0; i < 11; ++i) chunks.push(`${piece.length.toString(16)}\r\n${piece}\r\n`);
  chunks.push('0\r\n\r\n');
  const raw = parseRaw((await rawExchange(gw.port, chunks, { timeoutMs: 20000 })).text);
  assertEnvelope(raw, 413, 'validation_error', 'request_too_large');
  await stillServes();
});

test('many headers adding up over 16 KiB are 431', async () => {
  let h = '';
  for (let i = 0; i < 600; ++i) h += `X-H${i}: ${'v'.repeat(30)}\r\n`;
  const r = parseRaw((await rawExchange(gw.port, `GET /healthz HTTP/1.1\r\nHost: x\r\n${h}\r\n`)).text);
  assertEnvelope(r, 431, 'validation_error');
  await stillServes();
});

test('request smuggling shapes are refused with 400 and the connection closed', async () => {
  const smuggled = 'GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n';
  const body = JSON.stringify(CHAT('gpt-4o-mini'));
  const shapes = {
    'Content-Length with Transfer-Encoding: chunked': `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n`
      + `Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n`
      + `0\r\n\r\n${smuggled}`,
    'conflicting Content-Length': `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n`
      + `Content-Length: ${body.length}\r\nContent-Length: 0\r\n\r\n${body}${smuggled}`,
    'conflicting Content-Length list': `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n`
      + `Content-Length: ${body.length}, ${body.length + 5}\r\n\r\n${body}${smuggled}`,
    'signed Content-Length': `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n`
      + `Content-Length: +${body.length}\r\n\r\n${body}${smuggled}`,
    'Transfer-Encoding not chunked last': `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n`
      + `Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${smuggled}`,
    'obs-fold in Transfer-Encoding': `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n`
      + `Transfer-Encoding:\r\n chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n${smuggled}`,
    'space before the colon': `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n`
      + `Transfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n${smuggled}`,
    'bare LF line ends': `POST /v1/chat/completions HTTP/1.1\nHost: x\nContent-Length: 4\n\n0\r\n\r\n${smuggled}`,
  };
  for (const [name, bytes] of Object.entries(shapes)) {
    const x = await rawExchange(gw.port, bytes, { timeoutMs: 5000 });
    const r = parseRaw(x.text);
    assert.notEqual(x.how, 'timeout', `${name}: the connection is closed, not left hanging`);
    const responses = x.text.match(/^HTTP\/1\.1 \d{3}/gm) ?? [];
    assert.ok(responses.length <= 1, `${name}: exactly one response, the smuggled request is not served: ${x.text.slice(0, 400)}`);
    assert.ok(!x.text.includes('"object":"list"'), `${name}: the smuggled GET /v1/models was not answered`);
    if (responses.length) {
      assert.equal(r.status, 400, `${name}: ${x.text.slice(0, 300)}`);
      assert.equal(r.json?.error?.type, 'validation_error', name);
    }
  }
  // Identical duplicates are one value (RFC 9110 §8.6): served once, or refused; never two bodies.
  for (const cl of [`Content-Length: ${body.length}\r\nContent-Length: ${body.length}`, `Content-Length: ${body.length}, ${body.length}`]) {
    const dup = await rawExchange(gw.port, `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n`
      + `${cl}\r\nConnection: close\r\n\r\n${body}`, { timeoutMs: 5000 });
    assert.notEqual(dup.how, 'timeout');
    assert.ok([200, 400].includes(parseRaw(dup.text).status), dup.text.slice(0, 300));
    assert.equal((dup.text.match(/^HTTP\/1\.1 \d{3}/gm) ?? []).length, 1);
  }
  await stillServes();
});

test('obs-fold in an ordinary header is refused or unfolded, never a second request', async () => {
  const x = await rawExchange(gw.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\nConnection: close\r\n\r\n');
  const r = parseRaw(x.text);
  assert.ok([200, 400].includes(r.status), x.text.slice(0, 300));
  if (r.status === 400) assert.equal(r.json.error.type, 'validation_error');
  assert.equal((x.text.match(/^HTTP\/1\.1 \d{3}/gm) ?? []).length, 1);
});

test('slowloris: a trickled header is cut at the header deadline while others are served', async () => {
  const head = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(60);
  const loris = Array.from({ length: 50 }, () => rawExchange(gw.port, head.split(''), { gapMs: 250, timeoutMs: 25000 }));
  await sleep(1000);
  for (let i = 0; i < 5; ++i) {
    await stillServes();
    await sleep(500);
  }
  const results = await Promise.all(loris);
  for (const x of results) {
    assert.notEqual(x.how, 'timeout', 'kt closed the trickling connection');
    assert.ok(x.ms >= 14000 && x.ms < 20000, `closed at the 15 s header deadline (${x.ms} ms)`);
    assert.ok(!/^HTTP\/1\.1 200/.test(x.text), 'the incomplete request was never answered 200');
  }
  await stillServes();
});

test('a client that disconnects mid-request: nothing reaches the upstream and kt keeps serving', async () => {
  await mock.clear();
  const body = JSON.stringify(CHAT('gpt-4o-mini', 'x'.repeat(100000)));
  const x = await rawExchange(gw.port, [
    `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    body.slice(0, 5000)], { timeoutMs: 300 });
  assert.equal(x.how, 'timeout', 'the test closed it first');
  const y = await rawExchange(gw.port, 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Le', { timeoutMs: 300 });
  assert.equal(y.text, '');
  await sleep(300);
  assert.equal((await mock.requests('/v1/chat/completions')).length, 0);
  await stillServes();
});

async function inFlight(base) {
  const m = await (await fetch(`${base}/metrics`)).text();
  const v = (name) => Number((m.match(new RegExp(`^${name} (\\d+)`, 'm')) ?? [0, -1])[1]);
  return { requests: v('keeptrusts_gateway_in_flight_requests'), upstream: v('keeptrusts_gateway_upstream_in_flight') };
}

test('a client that disconnects mid-stream: the upstream call is dropped at once', async () => {
  // 200 ms per token and ~25 tokens: the upstream would keep streaming for ~5 s.
  const controller = new AbortController();
  const r = await fetch(`${gw.base}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, signal: controller.signal,
    body: JSON.stringify({ ...CHAT('slow@fault=slow_tokens=200', 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty'), stream: true }),
  });
  const reader = r.body.getReader();
  let got = '';
  while (!got.includes('"content":"Hello!"')) got += new TextDecoder().decode((await reader.read()).value);
  const during = await inFlight(gw.base);
  assert.equal(during.upstream, 1, 'one upstream call in flight while streaming');
  controller.abort();
  const t0 = Date.now();
  let now;
  for (;;) {
    now = await inFlight(gw.base);
    if (now.upstream === 0 && now.requests <= 1) break; // the /metrics request itself counts
    assert.ok(Date.now() - t0 < 1500, `upstream call still in flight ${Date.now() - t0} ms after the disconnect`);
    await sleep(50);
  }
  console.log(`# upstream call dropped ${Date.now() - t0} ms after the client went away`);
  await stillServes();
});

// Text predictions are created without `Prefer: wait`, so kt knows the id while it waits.
test('Replicate: a client that disconnects while kt waits for a JSON answer cancels the prediction', async () => {
  const controller = new AbortController();
  const pending = fetch(`${rgw.base}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, signal: controller.signal,
    body: JSON.stringify(CHAT(LLAMA, 'a long answer please')),
  }).catch((e) => e);
  await sleep(800); // the prediction is created and cold-starting (3 s)
  controller.abort();
  await pending;
  const auth = { authorization: `Bearer ${env.REPLICATE_API_TOKEN}` };
  const list = await (await fetch(`${rmock.replicateBase}/predictions`, { headers: auth })).json();
  assert.ok(list.results.length >= 1, 'a prediction was created');
  const id = list.results[0].id;
  const t0 = Date.now();
  let state;
  while (Date.now() - t0 < 2000) {
    state = await rmock.prediction(id);
    if (state.canceled) break;
    await sleep(50);
  }
  assert.ok(state.canceled, `prediction ${id} canceled: ${JSON.stringify(state)}`);
  console.log(`# prediction canceled ${Date.now() - t0} ms after the check started`);
  const ok = await chat(rgw.base, CHAT(LLAMA, 'after'));
  assert.ok([200].includes(ok.status), ok.text);
});
