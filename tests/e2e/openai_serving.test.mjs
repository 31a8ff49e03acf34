// OpenAI-compatible serving through kt with the official `openai` SDK: chat, streaming, usage,
// errors as SDK classes, fallback, mid-stream failure, circuit breaker, concurrency limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startGateway, startMockServer } from './lib/harness.mjs';

let mockA; // primary upstream
let mockB; // healthy fallback upstream
const env = { KT_E2E_KEY_A: 'sk-e2e-upstream-a-000111', KT_E2E_KEY_B: 'sk-e2e-upstream-b-000222' };

before(async () => {
  mockA = await startMockServer();
  mockB = await startMockServer();
});
after(async () => {
  await mockA?.stop();
  await mockB?.stop();
});

function config({ targets, fallback = '', breaker = '', chain = '[audit-logger]' }) {
  return `
pack: {name: serving-e2e, version: 1.0.0, enabled: true}
policies:
  chain: ${chain}
providers:
  targets:
${targets}
${fallback}
${breaker}
`;
}
const target = (id, model, mock, key = 'KT_E2E_KEY_A', extra = '') => `    - id: ${id}
      provider: openai
      model: "${model}"
      base_url: ${mock.url}
      secret_key_ref: {env: ${key}}
${extra ? `${extra}\n` : ''}`;

function client(gw, opts = {}) {
  return new OpenAI({ apiKey: 'client-key', baseURL: `${gw.base}/v1`, maxRetries: 0, ...opts });
}

test('chat completion, non-streaming, with usage and the configured model', async () => {
  const gw = await startGateway({ config: config({ targets: target('a', 'gpt-4o-mini', mockA) }), env });
  try {
    await mockA.clear();
    const c = client(gw);
    const r = await c.chat.completions.create({
      model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }],
    });
    assert.equal(r.object, 'chat.completion');
    assert.ok(r.choices[0].message.content.length > 0);
    assert.equal(r.choices[0].finish_reason, 'stop');
    assert.ok(r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0);
    assert.ok(r._request_id, 'x-request-id surfaces as _request_id');
    const seen = await mockA.requests('/v1/chat/completions');
    assert.equal(seen.length, 1);
    assert.equal(seen[0].headers.authorization, `Bearer ${env.KT_E2E_KEY_A}`);
  } finally { await gw.stop(); }
});

test('streaming: raw iterator, helper finalChatCompletion, include_usage', async () => {
  const gw = await startGateway({ config: config({ targets: target('a', 'gpt-4o-mini', mockA) }), env });
  try {
    const c = client(gw);
    const stream = await c.chat.completions.create({
      model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Count to five please' }],
    });
    let text = '';
    let role;
    let finish;
    let usage;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.role) role = chunk.choices[0].delta.role;
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(role, 'assistant');
    assert.ok(text.length > 0);
    assert.equal(finish, 'stop');
    assert.ok(usage && usage.completion_tokens > 0);

    const helper = c.chat.completions.stream({
      model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Tell me something' }],
    });
    const final = await helper.finalChatCompletion();
    assert.equal(final.choices[0].message.role, 'assistant');
    assert.ok(final.choices[0].message.content.length > 0);
    assert.equal(final.choices[0].finish_reason, 'stop');
  } finally { await gw.stop(); }
});

test('errors surface as the right SDK classes with the gateway message', async () => {
  const targets = [
    target('t429', 'rl@fault=status=429,retry_after=7', mockA),
    target('t500', 'boom@fault=status=500', mockA),
    target('t422', 'bad@fault=status=422', mockA),
    target('tslow', 'slow@fault=delay_headers=3000', mockA, 'KT_E2E_KEY_A', '      timeout_ms: 300'),
  ].join('');
  const gw = await startGateway({
    config: config({ targets, fallback: '  fallback: {enabled: false}' }), env,
  });
  const gwTok = await startGateway({ config: config({ targets: target('a', 'gpt-4o-mini', mockA) }), env, args: ['--api-token', 'tok-1'] });
  try {
    const c = client(gw);
    const ask = (model) => c.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] });
    await assert.rejects(ask('rl@fault=status=429,retry_after=7'), (e) => {
      assert.ok(e instanceof OpenAI.RateLimitError, e.constructor.name);
      assert.equal(e.status, 429);
      assert.equal(e.headers.get('retry-after'), '7');
      return true;
    });
    await assert.rejects(ask('boom@fault=status=500'), (e) => {
      assert.ok(e instanceof OpenAI.InternalServerError);
      assert.equal(e.status, 502);
      assert.equal(e.error.type, 'upstream_error');
      return true;
    });
    await assert.rejects(ask('bad@fault=status=422'), (e) => {
      assert.ok(e instanceof OpenAI.UnprocessableEntityError, e.constructor.name);
      return true;
    });
    await assert.rejects(ask('slow@fault=delay_headers=3000'), (e) => {
      assert.ok(e instanceof OpenAI.InternalServerError);
      assert.equal(e.status, 504);
      assert.equal(e.code, 'upstream_timeout');
      return true;
    });
    await assert.rejects(ask('no-such-model'), (e) => {
      assert.ok(e instanceof OpenAI.NotFoundError);
      assert.equal(e.code, 'model_not_found');
      assert.match(e.message, /no-such-model/);
      return true;
    });
    await assert.rejects(client(gwTok).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
      (e) => { assert.ok(e instanceof OpenAI.AuthenticationError); return true; });
    const ok = await client(gwTok, { apiKey: 'tok-1' }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(ok.object, 'chat.completion');
  } finally {
    await gw.stop();
    await gwTok.stop();
  }
});

for (const [name, fault] of [['500', 'status=500'], ['429', 'status=429,retry_after=0'],
  ['timeout', 'delay_headers=3000'], ['reset', 'reset_after=0']]) {
  test(`fallback from a ${name} target to a healthy one in a single client request`, async () => {
    const targets = target('primary', `p@fault=${fault}`, mockA, 'KT_E2E_KEY_A', '      timeout_ms: 500')
      + target('backup', 'gpt-4o-mini', mockB, 'KT_E2E_KEY_B');
    const gw = await startGateway({ config: config({ targets }), env });
    try {
      await mockA.clear();
      await mockB.clear();
      for (const stream of [false, true]) {
        const c = client(gw);
        if (stream) {
          const s = await c.chat.completions.create({ model: `p@fault=${fault}`, stream: true, messages: [{ role: 'user', content: 'hi' }] });
          let text = '';
          for await (const ch of s) text += ch.choices[0]?.delta?.content ?? '';
          assert.ok(text.length > 0);
        } else {
          const r = await c.chat.completions.create({ model: `p@fault=${fault}`, messages: [{ role: 'user', content: 'hi' }] });
          assert.equal(r.model, 'gpt-4o-mini');
        }
      }
      assert.equal((await mockA.requests('/v1/chat/completions')).length, 2);
      const b = await mockB.requests('/v1/chat/completions');
      assert.equal(b.length, 2);
      assert.equal(b[0].headers.authorization, `Bearer ${env.KT_E2E_KEY_B}`);
      assert.equal(b[0].body.model, 'gpt-4o-mini');
    } finally { await gw.stop(); }
  });
}

test('a failure after the first chunk ends the stream with an SDK error, not a truncated success', async () => {
  const targets = target('flaky', 'f@fault=reset_after=2', mockA) + target('backup', 'gpt-4o-mini', mockB, 'KT_E2E_KEY_B');
  const gw = await startGateway({ config: config({ targets }), env });
  try {
    const c = client(gw);
    const s = await c.chat.completions.create({ model: 'f@fault=reset_after=2', stream: true, messages: [{ role: 'user', content: 'a long answer please with many words' }] });
    let got = 0;
    await assert.rejects(async () => {
      for await (const ch of s) got += (ch.choices[0]?.delta?.content ?? '').length;
    }, (e) => {
      assert.ok(e instanceof OpenAI.APIError, e.constructor.name);
      assert.match(e.message, /upstream/i);
      return true;
    });
    assert.ok(got >= 0);
    const truncated = target('trunc', 't@fault=truncated_sse', mockA);
    const gw2 = await startGateway({ config: config({ targets: truncated }), env });
    try {
      const s2 = await client(gw2).chat.completions.create({ model: 't@fault=truncated_sse', stream: true, messages: [{ role: 'user', content: 'one two three four' }] });
      await assert.rejects(async () => { for await (const _ of s2) { /* drain */ } }, OpenAI.APIError);
    } finally { await gw2.stop(); }
  } finally { await gw.stop(); }
});

test('circuit breaker opens after N failures, skips the target, then recovers', async () => {
  const targets = target('primary', 'gpt-4o-mini', mockA) + target('backup', 'gpt-4o-mini', mockB, 'KT_E2E_KEY_B');
  const breaker = '  circuit_breaker: {failure_threshold: 2, cooldown_seconds: 1, half_open_probes: 1}';
  const gw = await startGateway({ config: config({ targets, breaker }), env });
  try {
    await mockA.clear();
    await mockA.fault('/v1/chat/completions', 'status=500', 2);
    const c = client(gw);
    const ask = () => c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
    await ask();
    await ask();
    const health = await (await fetch(`${gw.base}/health`)).json();
    assert.equal(health.providers.primary, 'open_circuit');
    assert.equal(health.status, 'degraded');
    await ask(); // skipped: primary not called
    assert.equal((await mockA.requests('/v1/chat/completions')).length, 2);
    await new Promise((r) => setTimeout(r, 1200));
    await ask(); // half-open probe succeeds
    assert.equal((await mockA.requests('/v1/chat/completions')).length, 3);
    const h2 = await (await fetch(`${gw.base}/health`)).json();
    assert.equal(h2.providers.primary, 'reachable');
    const metrics = await (await fetch(`${gw.base}/metrics`)).text();
    assert.match(metrics, /keeptrusts_gateway_fallbacks_total\{from="primary",to="backup"\} 2/);
  } finally { await gw.stop(); }
});

test('the concurrency limit answers 503 once the wait queue is full', async () => {
  const gw = await startGateway({
    config: config({ targets: target('slow', 's@fault=delay_headers=800', mockA) }), env,
    args: ['--max-concurrency', '1', '--max-queue', '0'],
  });
  try {
    const c = client(gw);
    const ask = () => c.chat.completions.create({ model: 's@fault=delay_headers=800', messages: [{ role: 'user', content: 'x' }] });
    const results = await Promise.allSettled([ask(), ask(), ask()]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r) => r.status === 'rejected');
    assert.equal(ok.length, 1);
    assert.equal(rejected.length, 2);
    for (const r of rejected) {
      assert.equal(r.reason.status, 503);
      assert.equal(r.reason.error.type, 'unavailable');
    }
  } finally { await gw.stop(); }
});

test('completions, embeddings, images and models pass through', async () => {
  const targets = target('a', 'gpt-4o-mini', mockA) + `    - id: emb
      provider: openai:embedding:text-embedding-3-small
      base_url: ${mockA.url}
      secret_key_ref: {env: KT_E2E_KEY_A}
    - id: img
      provider: openai:image:dall-e-3
      base_url: ${mockA.url}
      secret_key_ref: {env: KT_E2E_KEY_A}
`;
  const gw = await startGateway({ config: config({ targets }), env });
  try {
    const c = client(gw);
    const comp = await c.completions.create({ model: 'gpt-4o-mini', prompt: 'Once upon a time' });
    assert.equal(comp.object, 'text_completion');
    assert.ok(comp.choices[0].text.length > 0);
    const emb = await c.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    assert.equal(emb.data.length, 2);
    assert.ok(emb.data[0].embedding.length > 0);
    const img = await c.images.generate({ model: 'dall-e-3', prompt: 'a cat', response_format: 'b64_json' });
    assert.ok(img.data[0].b64_json.length > 10);
    const models = await c.models.list();
    assert.deepEqual(models.data.map((m) => m.id).sort(), ['dall-e-3', 'gpt-4o-mini', 'text-embedding-3-small']);
    const one = await c.models.retrieve('gpt-4o-mini');
    assert.equal(one.id, 'gpt-4o-mini');
  } finally { await gw.stop(); }
});
