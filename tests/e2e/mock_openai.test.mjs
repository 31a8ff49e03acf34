// kt-mock's OpenAI simulator driven by the official `openai` npm client 7.55.0, plus every fault
// spec of tools/mock/README.md (status + Retry-After, delays, stalls, resets, truncation, ...).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startMock } from './lib/mock.mjs';

let mock;
let client;
const CHAT = '/v1/chat/completions';
const ask = (content, extra = {}) => ({ model: 'gpt-4o', messages: [{ role: 'user', content }], ...extra });

before(async () => {
  mock = await startMock();
  client = new OpenAI({ apiKey: 'sk-test', baseURL: mock.openaiBase, maxRetries: 0 });
});
after(async () => { await mock?.stop(); });

async function failure(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected the call to fail');
}

describe('openai client against kt-mock', () => {
  test('chat completion: echo answer, usage, JSON envelope', async () => {
    const r = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello there' }],
    });
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.equal(r.choices[0].message.content, 'Hello! You said: hello there');
    assert.equal(r.choices[0].finish_reason, 'stop');
    assert.deepEqual(r.usage, { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 });
    const [req] = (await mock.requests(CHAT)).slice(-1);
    assert.equal(req.headers.authorization, 'Bearer sk-test');
    assert.equal(req.body.messages[1].content, 'hello there');
  });

  test('max_tokens / max_completion_tokens cut the answer with finish_reason length', async () => {
    const r = await client.chat.completions.create(ask('a b c d', { max_completion_tokens: 3 }));
    assert.equal(r.choices[0].message.content, 'Hello! You said:');
    assert.equal(r.choices[0].finish_reason, 'length');
    assert.equal(r.usage.completion_tokens, 3);
  });

  test('streaming raw iterator: role chunk, content chunks, finish chunk', async () => {
    const stream = await client.chat.completions.create(ask('one two', { stream: true }));
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.equal(text, 'Hello! You said: one two');
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
    assert.ok(chunks.every((c) => c.id === chunks[0].id && c.created === chunks[0].created));
    assert.ok(chunks.every((c) => !('usage' in c)));
  });

  test('stream_options.include_usage: usage chunk with choices [] and usage null elsewhere', async () => {
    const stream = await client.chat.completions.create(
      ask('count me', { stream: true, stream_options: { include_usage: true } }));
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, []);
    assert.deepEqual(last.usage, { prompt_tokens: 2, completion_tokens: 5, total_tokens: 7 });
    assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
  });

  test('chat.completions.stream() helper and finalChatCompletion()', async () => {
    const deltas = [];
    const runner = client.chat.completions.stream(ask('helper works'));
    runner.on('content', (d) => deltas.push(d));
    const final = await runner.finalChatCompletion();
    assert.equal(final.choices[0].message.content, 'Hello! You said: helper works');
    assert.equal(deltas.join(''), 'Hello! You said: helper works');
  });

  test('legacy completions, JSON and streaming', async () => {
    const r = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'say this' });
    assert.equal(r.choices[0].text, 'Hello! You said: say this');
    assert.equal(r.usage.prompt_tokens, 2);
    const stream = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'x', stream: true });
    let text = '';
    let finish;
    for await (const c of stream) {
      text += c.choices[0].text;
      finish = c.choices[0].finish_reason ?? finish;
    }
    assert.equal(text, 'Hello! You said: x');
    assert.equal(finish, 'stop');
  });

  test('embeddings: deterministic unit vectors, base64 (SDK default) and float, dimensions', async () => {
    const a = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'same text' });
    const b = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'same text', encoding_format: 'float' });
    assert.equal(a.data[0].embedding.length, 1536);
    for (let i = 0; i < 1536; i++) assert.ok(Math.abs(a.data[0].embedding[i] - b.data[0].embedding[i]) < 1e-6);
    const norm = Math.hypot(...b.data[0].embedding);
    assert.ok(Math.abs(norm - 1) < 1e-3);
    const d = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['x', 'y z'], dimensions: 8 });
    assert.equal(d.data.length, 2);
    assert.equal(d.data[1].embedding.length, 8);
    assert.deepEqual(d.usage, { prompt_tokens: 3, total_tokens: 3 });
  });

  test('images: url (served on the stream port) and b64_json', async () => {
    const u = await client.images.generate({ model: 'dall-e-3', prompt: 'a cat', n: 2 });
    assert.equal(u.data.length, 2);
    const r = await fetch(u.data[0].url);
    assert.equal(r.headers.get('content-type'), 'image/png');
    assert.equal(Buffer.from(await r.arrayBuffer()).subarray(1, 4).toString(), 'PNG');
    const b = await client.images.generate({ model: 'dall-e-3', prompt: 'a cat', response_format: 'b64_json' });
    assert.equal(Buffer.from(b.data[0].b64_json, 'base64').subarray(1, 4).toString(), 'PNG');
  });

  test('models: list and retrieve; unknown model is NotFoundError', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes('gpt-4o'));
    assert.ok(ids.includes('meta/meta-llama-3-70b-instruct'));
    const m = await client.models.retrieve('gpt-4o-mini');
    assert.equal(m.object, 'model');
    const e = await failure(client.models.retrieve('no-such-model'));
    assert.ok(e instanceof OpenAI.NotFoundError);
    assert.equal(e.code, 'model_not_found');
  });

  test('bad request: messages missing -> 400 BadRequestError with param', async () => {
    const e = await failure(client.chat.completions.create({ model: 'gpt-4o', messages: [] }));
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.param, 'messages');
  });
});

describe('fault injection', () => {
  test('status=429,retry_after via header: RateLimitError with Retry-After', async () => {
    const c = new OpenAI({ apiKey: 'sk', baseURL: mock.openaiBase, maxRetries: 0,
      defaultHeaders: { 'x-mock-fault': 'status=429,retry_after=7' } });
    const e = await failure(c.chat.completions.create(ask('x')));
    assert.ok(e instanceof OpenAI.RateLimitError);
    assert.equal(e.headers.get('retry-after'), '7');
    assert.equal(e.error.type, 'rate_limit_error');
  });

  test('queued fault for one request: the SDK retries (retry_after=0) and succeeds', async () => {
    await mock.clearRequests();
    await mock.queueFault(CHAT, 'status=500,retry_after=0');
    const c = new OpenAI({ apiKey: 'sk', baseURL: mock.openaiBase, maxRetries: 2 });
    const r = await c.chat.completions.create(ask('retry me'));
    assert.equal(r.choices[0].message.content, 'Hello! You said: retry me');
    const reqs = await mock.requests(CHAT);
    assert.equal(reqs.length, 2);
    assert.equal(reqs[1].headers['x-stainless-retry-count'], '1');
  });

  test('model-name convention: <model>@fault=status=503,body=... -> InternalServerError', async () => {
    const e = await failure(client.chat.completions.create(
      { model: 'gpt-4o@fault=status=503,body=overloaded, try later', messages: [{ role: 'user', content: 'x' }] }));
    assert.ok(e instanceof OpenAI.InternalServerError);
    assert.equal(e.status, 503);
    assert.equal(e.error.message, 'overloaded, try later');
    const m = await failure(client.chat.completions.create(
      { model: 'mock-fault/status=404', messages: [{ role: 'user', content: 'x' }] }));
    assert.equal(m.status, 404);
  });

  test('delay_headers beyond the client timeout: APIConnectionTimeoutError', async () => {
    await mock.queueFault(CHAT, 'delay_headers=1500');
    const c = new OpenAI({ apiKey: 'sk', baseURL: mock.openaiBase, maxRetries: 0, timeout: 300 });
    const e = await failure(c.chat.completions.create(ask('x')));
    assert.ok(e instanceof OpenAI.APIConnectionTimeoutError);
  });

  test('stall=<ms>,after=<n>: the stream pauses after n events, then completes', async () => {
    await mock.queueFault(CHAT, 'stall=400,after=2');
    const t0 = Date.now();
    const times = [];
    for await (const c of await client.chat.completions.create(ask('a b', { stream: true }))) {
      times.push(Date.now() - t0);
      assert.ok(c);
    }
    assert.ok(times[2] - times[1] >= 380, `pause between events 2 and 3: ${times[2] - times[1]} ms`);
    assert.equal(times.length, 7);
  });

  test('stall on a JSON reply holds the body after the headers', async () => {
    await mock.queueFault(CHAT, 'stall=300');
    const t0 = Date.now();
    const r = await client.chat.completions.create(ask('x')).withResponse();
    assert.ok(Date.now() - t0 >= 280);
    assert.equal(r.data.choices[0].message.content, 'Hello! You said: x');
  });

  test('reset_after=<n>: the connection is reset mid-stream', async () => {
    await mock.queueFault(CHAT, 'reset_after=2');
    const got = [];
    const e = await failure((async () => {
      for await (const c of await client.chat.completions.create(ask('a b c', { stream: true }))) got.push(c);
    })());
    assert.equal(got.length, 2);
    assert.ok(e instanceof Error);
    await mock.queueFault(CHAT, 'reset_after=0');
    const j = await failure(client.chat.completions.create(ask('x')));
    assert.ok(j instanceof OpenAI.APIConnectionError);
  });

  test('truncated_sse: no finish chunk and no [DONE]; the helper reports the missing finish', async () => {
    await mock.queueFault(CHAT, 'truncated_sse');
    const chunks = [];
    for await (const c of await client.chat.completions.create(ask('cut', { stream: true }))) chunks.push(c);
    assert.ok(chunks.every((c) => c.choices[0].finish_reason === null));
    assert.equal(chunks.map((c) => c.choices[0].delta.content).join(''), 'Hello! You said: cut');
    await mock.queueFault(CHAT, 'truncated_sse');
    const e = await failure(client.chat.completions.stream(ask('cut')).finalChatCompletion());
    assert.match(e.message, /missing finish_reason/);
  });

  test('malformed_json: JSON reply and SSE event that do not parse', async () => {
    await mock.queueFault(CHAT, 'malformed_json');
    const e = await failure(client.chat.completions.create(ask('x')));
    assert.ok(e instanceof Error);
    await mock.queueFault(CHAT, 'malformed_json');
    const s = await failure((async () => {
      for await (const c of await client.chat.completions.create(ask('x', { stream: true }))) assert.ok(c);
    })());
    assert.ok(s instanceof Error);
  });

  test('huge=<bytes>: an answer of exactly that many bytes, JSON and streamed', async () => {
    await mock.queueFault(CHAT, 'huge=200000', 2);
    const r = await client.chat.completions.create(ask('x'));
    assert.equal(r.choices[0].message.content.length, 200000);
    let n = 0;
    for await (const c of await client.chat.completions.create(ask('x', { stream: true }))) {
      n += (c.choices[0].delta.content ?? '').length;
    }
    assert.equal(n, 200000);
  });

  test('slow_tokens=<ms>: each streamed token is delayed', async () => {
    await mock.queueFault(CHAT, 'slow_tokens=60');
    const t0 = Date.now();
    for await (const c of await client.chat.completions.create(ask('a b', { stream: true }))) assert.ok(c);
    assert.ok(Date.now() - t0 >= 5 * 60 - 20);
  });

  test('a bad fault spec is a clear 400', async () => {
    const c = new OpenAI({ apiKey: 'sk', baseURL: mock.openaiBase, maxRetries: 0,
      defaultHeaders: { 'x-mock-fault': 'explode=1' } });
    const e = await failure(c.chat.completions.create(ask('x')));
    assert.equal(e.status, 400);
    assert.match(e.message, /unknown fault item 'explode=1'/);
    const q = await fetch(`${mock.base}/_mock/faults`, { method: 'POST', body: '{"path":"/x","fault":"status=abc"}' });
    assert.equal(q.status, 400);
  });
});

describe('--require-token', () => {
  let guarded;
  before(async () => { guarded = await startMock({ requireToken: 'sk-right' }); });
  after(async () => { await guarded?.stop(); });

  test('wrong or missing token -> 401 AuthenticationError; the right one passes', async () => {
    const wrong = new OpenAI({ apiKey: 'sk-wrong', baseURL: guarded.openaiBase, maxRetries: 0 });
    const e = await failure(wrong.chat.completions.create(ask('x')));
    assert.ok(e instanceof OpenAI.AuthenticationError);
    assert.equal(e.code, 'invalid_api_key');
    assert.ok(!e.message.includes('sk-wrong'));
    const right = new OpenAI({ apiKey: 'sk-right', baseURL: guarded.openaiBase, maxRetries: 0 });
    assert.equal((await right.chat.completions.create(ask('ok'))).choices[0].message.content, 'Hello! You said: ok');
    const r = await fetch(`${guarded.openaiBase}/models`);
    assert.equal(r.status, 401);
  });
});
