// The three Replicate seed configs (examples/replicate*.yaml, product-spec §1) run AS WRITTEN
// against kt-mock (`--upstream` points every target at it): the official `openai` SDK's chat,
// raw streaming and stream helper, the curl validation command, usage taken from the
// prediction's metrics, and seed 3's fallback to OpenAI on a Replicate failure and on a cold
// start longer than the target deadline (the abandoned prediction is canceled).
import { test, before, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { KT_BIN, ROOT, waitForHttp, startGateway, tempDir, writeTemp } from './lib/harness.mjs';
import { startMock } from './lib/mock.mjs';

const run = promisify(execFile);
const env = {
  REPLICATE_API_TOKEN: 'r8_e2eSeedToken0123456789',
  OPENAI_API_KEY: 'sk-e2e-seed-openai-0123456789',
};
const LLAMA = 'meta/llama-3.3-70b-instruct';
const FINE_TUNE = 'your-org/your-fine-tuned-model';
const SEEDS = [
  { file: 'replicate.yaml', model: LLAMA },
  { file: 'replicate-fine-tune.yaml', model: FINE_TUNE },
  { file: 'replicate-openai-fallback.yaml', model: LLAMA },
];

let mock;
before(async () => { mock = await startMock(); });
beforeEach(async () => { await mock.clearFaults(); }); // a failed test leaves none behind
after(async () => { await mock?.stop(); });

const seedPath = (file) => path.join(ROOT, 'examples', file);
const createPath = (model) => `/v1/models/${model}/predictions`;

// kt with the seed file as written (plus an optional overlay), serving once its config is loaded.
async function gateway(file, { overlay } = {}) {
  const extra = overlay ? ['--policy-config', overlay] : [];
  const gw = await startGateway({
    configPath: seedPath(file), env, args: [...extra, '--upstream', mock.replicateBase],
  });
  await waitForHttp(`${gw.base}/readyz`, { proc: gw.proc, timeoutMs: 30000 });
  return gw;
}

function client(gw) {
  return new OpenAI({ apiKey: 'client-key', baseURL: `${gw.base}/v1`, maxRetries: 0 });
}

// The prediction as Replicate reports it (with metrics) — what usage must be taken from.
async function upstreamPrediction(id) {
  const r = await fetch(`${mock.base}/v1/predictions/${id}`, {
    headers: { authorization: `Bearer ${env.REPLICATE_API_TOKEN}` },
  });
  assert.equal(r.status, 200);
  return r.json();
}

const predictionId = (completionId) => completionId.replace(/^chatcmpl-/, '');

async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

for (const seed of SEEDS) {
  test(`${seed.file}: chat, streaming, stream helper and curl through the seed as written`, async () => {
    const gw = await gateway(seed.file);
    try {
      await mock.clearRequests();
      const c = client(gw);

      const r = await c.chat.completions.create({
        model: seed.model, messages: [{ role: 'user', content: 'What is the capital of France?' }],
      });
      assert.equal(r.object, 'chat.completion');
      assert.equal(r.choices[0].message.role, 'assistant');
      assert.equal(r.choices[0].message.content, 'Hello! You said: What is the capital of France?');
      assert.equal(r.choices[0].finish_reason, 'stop');
      const done = await upstreamPrediction(predictionId(r.id));
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(r.usage, {
        prompt_tokens: done.metrics.input_token_count,
        completion_tokens: done.metrics.output_token_count,
        total_tokens: done.metrics.input_token_count + done.metrics.output_token_count,
      });
      const creates = (await mock.requests(createPath(seed.model))).filter((q) => q.method === 'POST');
      assert.equal(creates.length, 1, 'one prediction created on the models endpoint');
      assert.equal(creates[0].headers.authorization, `Bearer ${env.REPLICATE_API_TOKEN}`);
      assert.match(creates[0].body.input.prompt, /What is the capital of France\?/);

      const stream = await c.chat.completions.create({
        model: seed.model, stream: true, stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Name three rivers in Europe' }],
      });
      let text = '';
      let role;
      let finish;
      let usage;
      let id;
      let contentChunks = 0;
      for await (const chunk of stream) {
        id ??= chunk.id;
        assert.equal(chunk.id, id, 'every chunk carries the same id');
        const choice = chunk.choices[0];
        if (choice?.delta?.role) role = choice.delta.role;
        if (choice?.delta?.content) { text += choice.delta.content; contentChunks += 1; }
        if (choice?.finish_reason) finish = choice.finish_reason;
        if (chunk.usage) usage = chunk.usage;
      }
      assert.equal(role, 'assistant');
      assert.equal(text, 'Hello! You said: Name three rivers in Europe');
      assert.ok(contentChunks >= 5, `token by token, got ${contentChunks} content chunks`);
      assert.equal(finish, 'stop');
      const streamed = await upstreamPrediction(predictionId(id));
      assert.equal(usage.prompt_tokens, streamed.metrics.input_token_count);
      assert.equal(usage.completion_tokens, streamed.metrics.output_token_count);
      const reads = await mock.requests(`/v1/streams/${predictionId(id)}`);
      assert.equal(reads.length, 1, 'the answer was relayed from the prediction stream');
      assert.equal(reads[0].port, 'stream');
      assert.equal(reads[0].headers.authorization, undefined, 'stream host never sees the token');

      const helper = c.chat.completions.stream({
        model: seed.model, messages: [{ role: 'user', content: 'Tell me a short fact' }],
      });
      const final = await helper.finalChatCompletion();
      assert.equal(final.choices[0].message.role, 'assistant');
      assert.equal(final.choices[0].message.content, 'Hello! You said: Tell me a short fact');
      assert.equal(final.choices[0].finish_reason, 'stop');

      const body = JSON.stringify({
        model: seed.model, messages: [{ role: 'user', content: 'Hello from curl' }],
      });
      const { stdout } = await run('curl', ['-sS', '--fail-with-body', `${gw.base}/v1/chat/completions`,
        '-H', 'Content-Type: application/json', '-d', body], { timeout: 15000 });
      const viaCurl = JSON.parse(stdout);
      assert.equal(viaCurl.object, 'chat.completion');
      assert.equal(viaCurl.choices[0].message.content, 'Hello! You said: Hello from curl');
      assert.ok(viaCurl.usage.total_tokens > 0);
    } finally { await gw.stop(); }
  });
}

// The request's decision event, read from the event store with `kt events tail` as a user would.
async function eventFor(gw, requestId) {
  const { stdout } = await run(KT_BIN, ['events', 'tail', '--db', path.join(gw.dir, 'kt-events.db'),
    '--json', '--limit', '50'], { timeout: 15000 });
  const events = stdout.trim().split('\n').map((line) => JSON.parse(line));
  const ev = events.find((e) => e.request_id === requestId);
  assert.ok(ev, `a decision event for ${requestId}`);
  return ev;
}

test('replicate-openai-fallback.yaml: a Replicate 500 falls back to OpenAI in one request', async () => {
  const gw = await gateway('replicate-openai-fallback.yaml');
  try {
    await mock.clearRequests();
    await mock.queueFault(createPath(LLAMA), 'status=500');
    const { data, response } = await client(gw).chat.completions.create({
      model: LLAMA, messages: [{ role: 'user', content: 'Are you there?' }],
    }).withResponse();
    assert.equal(data.choices[0].message.content, 'Hello! You said: Are you there?');
    assert.equal(response.headers.get('x-kt-target'), 'openai-fallback');
    const journal = await mock.requests();
    const replicate = journal.filter((q) => q.path === createPath(LLAMA));
    const openai = journal.filter((q) => q.path === '/v1/chat/completions');
    assert.equal(replicate.length, 1, 'the Replicate attempt was made');
    assert.equal(openai.length, 1, 'then the OpenAI fallback');
    assert.equal(openai[0].body.model, 'gpt-4o', 'the fallback uses its own model');
    assert.equal(openai[0].headers.authorization, `Bearer ${env.OPENAI_API_KEY}`);
    assert.ok(journal.indexOf(replicate[0]) < journal.indexOf(openai[0]));
    const ev = await eventFor(gw, data._request_id);
    assert.deepEqual(ev.attempts.map((a) => [a.target, a.status]),
      [['replicate-primary', 500], ['openai-fallback', 200]]);
  } finally { await gw.stop(); }
});

test('replicate-openai-fallback.yaml: a cold start past timeout_ms falls back and cancels', async (t) => {
  // Layered over the seed: the same target list (lists replace) with a 1.5 s deadline on Replicate.
  const overlay = writeTemp(tempDir(), 'deadline-overlay.yaml', `
providers:
  targets:
    - id: replicate-primary
      provider: replicate:chat:meta/llama-3.3-70b-instruct
      secret_key_ref: {env: REPLICATE_API_TOKEN}
      timeout_ms: 1500
    - id: openai-fallback
      provider: openai
      model: gpt-4o
      secret_key_ref: {env: OPENAI_API_KEY}
`);
  const gw = await gateway('replicate-openai-fallback.yaml', { overlay });
  try {
    await mock.clearRequests();
    await mock.queueFault(createPath(LLAMA), 'cold_start=5000');
    const started = Date.now();
    const { data: r, response } = await client(gw).chat.completions.create({
      model: LLAMA, messages: [{ role: 'user', content: 'Still cold?' }],
    }).withResponse();
    const elapsed = Date.now() - started;
    assert.equal(r.choices[0].message.content, 'Hello! You said: Still cold?');
    assert.equal(response.headers.get('x-kt-target'), 'openai-fallback');
    assert.ok(elapsed < 3000, `answered within the deadline, not after the 5 s cold start (${elapsed} ms)`);
    const ev = await eventFor(gw, r._request_id);
    assert.equal(ev.attempts[0].target, 'replicate-primary');
    assert.match(ev.attempts[0].error, /^timeout/);
    assert.equal(ev.attempts[1].target, 'openai-fallback');
    const journal = await mock.requests();
    assert.equal(journal.filter((q) => q.path === createPath(LLAMA)).length, 1);
    assert.equal(journal.filter((q) => q.path === '/v1/chat/completions').length, 1);
    const id = journal.map((q) => q.path.match(/^\/v1\/predictions\/([a-z0-9]+)/)?.[1]).find(Boolean);
    assert.ok(id, 'the gateway polled the prediction');
    const state = await waitFor(async () => {
      const p = await mock.prediction(id);
      return p.canceled ? p : null;
    }, 2000, 'the cold prediction to be canceled');
    assert.equal(state.status, 'canceled');
    t.diagnostic(`fallback answer after ${elapsed} ms`);
  } finally { await gw.stop(); }
});
