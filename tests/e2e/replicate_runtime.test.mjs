// The Replicate runtime through kt with the official `openai` SDK against kt-mock: streaming that
// is really token by token, images (flux-schnell, SD 3.5; url and b64_json), versioned and
// deployment addressing, cancel of the prediction when the client goes away, and each Replicate
// failure surfacing as the right SDK error.
import { test, before, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import OpenAI from 'openai';
import { ROOT, waitForHttp, startGateway } from './lib/harness.mjs';
import { startMock } from './lib/mock.mjs';

const env = {
  REPLICATE_API_TOKEN: 'r8_e2eRuntimeToken987654321',
  OPENAI_API_KEY: 'sk-e2e-runtime-unused-0001',
};
const LLAMA = 'meta/llama-3.3-70b-instruct';
const FLUX = 'black-forest-labs/flux-schnell';
const SD35 = 'stability-ai/stable-diffusion-3.5-large';
const COMMUNITY_VERSION = '5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa';
const VERSIONED = `acme/community-llm:${COMMUNITY_VERSION}`;
const DEPLOYMENT = 'deployments/acme/my-deployment';
const UNKNOWN = 'nobody/no-such-model';
const BAD_VERSION = `acme/community-llm:${'f'.repeat(64)}`;

// One target per model; no fallback, so each failure reaches the client as it is.
const RUNTIME_CONFIG = `
pack: {name: replicate-runtime-e2e, version: 1.0.0, enabled: true}
policies: {chain: [audit-logger]}
providers:
  fallback: {enabled: false}
  targets:
    - {id: llama, provider: "replicate:chat:${LLAMA}"}
    - {id: flux, provider: "replicate:image:${FLUX}"}
    - {id: sd35, provider: "replicate:image:${SD35}"}
    - {id: versioned, provider: "replicate:chat:${VERSIONED}"}
    - {id: deployment, provider: "replicate:chat:${DEPLOYMENT}"}
    - {id: unknown, provider: "replicate:chat:${UNKNOWN}"}
    - {id: bad-version, provider: "replicate:chat:${BAD_VERSION}"}
`;

let mock;
let runtime; // gateway on RUNTIME_CONFIG
let seed;    // gateway on examples/replicate.yaml as written (its output PII scan included)
before(async () => {
  mock = await startMock();
  const upstream = ['--upstream', mock.replicateBase];
  runtime = await startGateway({ config: RUNTIME_CONFIG, env, args: upstream });
  seed = await startGateway({ configPath: path.join(ROOT, 'examples/replicate.yaml'), env, args: upstream });
  for (const gw of [runtime, seed]) {
    await waitForHttp(`${gw.base}/readyz`, { proc: gw.proc, timeoutMs: 30000 });
  }
});
beforeEach(async () => { await mock.clearFaults(); }); // a failed test leaves none behind
after(async () => {
  await runtime?.stop();
  await seed?.stop();
  await mock?.stop();
});

const client = (gw) => new OpenAI({ apiKey: 'client-key', baseURL: `${gw.base}/v1`, maxRetries: 0 });
const createPath = (model) => `/v1/models/${model}/predictions`;
const predictionId = (chunkId) => chunkId.replace(/^chatcmpl-/, '');
const ask = (model, content) => ({ model, messages: [{ role: 'user', content }] });

async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// The image format the bytes start with, or null.
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
function imageKind(bytes) {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const riff = bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF';
  if (riff && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return null;
}

function assertNoSecret(text) {
  assert.ok(!text.includes(env.REPLICATE_API_TOKEN), 'the Replicate token never reaches the client');
}

test('streaming is real: with 200 ms per token the first token arrives long before the last', async (t) => {
  await mock.queueFault(createPath(LLAMA), 'token_delay=200');
  const words = 'please repeat these ten words back to me right now';
  const started = Date.now();
  const stream = await client(seed).chat.completions.create({ ...ask(LLAMA, words), stream: true });
  const arrivals = [];
  let text = '';
  for await (const chunk of stream) {
    const content = chunk.choices[0]?.delta?.content;
    if (content) { arrivals.push(Date.now() - started); text += content; }
  }
  const total = Date.now() - started;
  assert.equal(text, `Hello! You said: ${words}`);
  assert.ok(arrivals.length >= 10, `one chunk per token, got ${arrivals.length}`);
  assert.ok(arrivals[0] < 0.4 * total, `first token at ${arrivals[0]} ms of ${total} ms`);
  const gaps = arrivals.slice(1).map((a, i) => a - arrivals[i]);
  const spaced = gaps.filter((g) => g >= 100).length;
  assert.ok(spaced >= arrivals.length - 3, `chunks arrive spread out, gaps ${gaps.join(',')} ms`);
  assert.ok(arrivals.at(-1) - arrivals[0] >= 0.6 * 200 * (arrivals.length - 1));
  t.diagnostic(`first token ${arrivals[0]} ms, last ${arrivals.at(-1)} ms, total ${total} ms`);
});

test('client disconnect mid-stream cancels the prediction within a second', async (t) => {
  await mock.clearRequests();
  await mock.queueFault(createPath(LLAMA), 'token_delay=800');
  const controller = new AbortController();
  const stream = await client(seed).chat.completions.create(
    { ...ask(LLAMA, 'write a long answer about the sea'), stream: true },
    { signal: controller.signal },
  );
  let id;
  let abortedAt = 0;
  for await (const chunk of stream) {
    id = predictionId(chunk.id);
    if (chunk.choices[0]?.delta?.content) {
      controller.abort();
      abortedAt = Date.now();
      break;
    }
  }
  assert.ok(id && abortedAt, 'the first content chunk arrived, then the client went away');
  const state = await waitFor(async () => {
    const p = await mock.prediction(id);
    return p.canceled ? p : null;
  }, 1000, 'the prediction to be canceled');
  t.diagnostic(`prediction canceled ${Date.now() - abortedAt} ms after the client went away`);
  assert.equal(state.status, 'canceled');
  assert.ok(state.emitted < state.planned_steps, 'canceled before it finished');
  const cancels = await mock.requests(`/v1/predictions/${id}/cancel`);
  assert.equal(cancels.length, 1);
  assert.equal(cancels[0].headers.authorization, `Bearer ${env.REPLICATE_API_TOKEN}`);
});

test('images: flux-schnell url and b64_json', async () => {
  await mock.clearRequests();
  const c = client(runtime);
  const byUrl = await c.images.generate({
    model: FLUX, prompt: 'a red fox in the snow', response_format: 'url',
  });
  assert.equal(byUrl.data.length, 1);
  const file = await fetch(byUrl.data[0].url);
  assert.equal(file.status, 200);
  assert.ok(imageKind(Buffer.from(await file.arrayBuffer())), `an image at ${byUrl.data[0].url}`);
  const creates = await mock.requests(createPath(FLUX));
  assert.equal(creates.length, 1);
  assert.equal(creates[0].body.input.prompt, 'a red fox in the snow');

  const b64 = await c.images.generate({ model: FLUX, prompt: 'two owls', n: 2, response_format: 'b64_json' });
  assert.equal(b64.data.length, 2);
  for (const image of b64.data) {
    assert.equal(image.url, undefined);
    assert.ok(imageKind(Buffer.from(image.b64_json, 'base64')), 'b64_json decodes to an image');
  }
});

test('images: stable-diffusion-3.5-large url and b64_json', async () => {
  await mock.clearRequests();
  const c = client(runtime);
  const byUrl = await c.images.generate({ model: SD35, prompt: 'a lighthouse at dusk', size: '1024x1792' });
  assert.equal(byUrl.data.length, 1);
  const file = await fetch(byUrl.data[0].url);
  assert.equal(file.status, 200);
  assert.ok(imageKind(Buffer.from(await file.arrayBuffer())));
  const creates = await mock.requests(createPath(SD35));
  assert.equal(creates.length, 1);
  assert.equal(creates[0].body.input.aspect_ratio, '9:16');

  const b64 = await c.images.generate({ model: SD35, prompt: 'a calm lake', response_format: 'b64_json' });
  assert.equal(b64.data.length, 1);
  assert.ok(imageKind(Buffer.from(b64.data[0].b64_json, 'base64')));
});

test('addressing: a versioned model goes to /v1/predictions, a deployment to its endpoint', async () => {
  await mock.clearRequests();
  const c = client(runtime);
  const v = await c.chat.completions.create(ask(VERSIONED, 'hi from a pinned version'));
  assert.equal(v.choices[0].message.content, 'Hello! You said: hi from a pinned version');
  const versionCreates = (await mock.requests('/v1/predictions'))
    .filter((q) => q.method === 'POST' && q.path === '/v1/predictions');
  assert.equal(versionCreates.length, 1);
  const version = versionCreates[0].body.version;
  assert.ok([COMMUNITY_VERSION, VERSIONED].includes(version), `version in the body: ${version}`);

  const d = await c.chat.completions.create(ask(DEPLOYMENT, 'hi from a deployment'));
  assert.equal(d.choices[0].message.content, 'Hello! You said: hi from a deployment');
  assert.equal((await mock.requests(`/v1/${DEPLOYMENT}/predictions`)).length, 1);
  assert.ok(d.usage.completion_tokens > 0);
});

test('errors: unknown model → 404 model_not_found, 422 with detail, failure → 502', async () => {
  const c = client(runtime);
  await assert.rejects(c.chat.completions.create(ask(UNKNOWN, 'anyone?')), (e) => {
    assert.ok(e instanceof OpenAI.NotFoundError, e.constructor.name);
    assert.equal(e.code, 'model_not_found');
    assert.match(e.message, /could not be found/);
    assertNoSecret(e.message);
    return true;
  });

  await assert.rejects(c.chat.completions.create(ask(BAD_VERSION, 'which version?')), (e) => {
    assert.ok(e instanceof OpenAI.UnprocessableEntityError, `${e.constructor.name} ${e.status}`);
    assert.match(e.message, /The specified version does not exist/);
    assertNoSecret(e.message);
    return true;
  });

  await mock.queueFault(createPath(LLAMA), 'fail_after=2,body=CUDA out of memory on device 0');
  await assert.rejects(c.chat.completions.create(ask(LLAMA, 'fail please')), (e) => {
    assert.ok(e instanceof OpenAI.InternalServerError, e.constructor.name);
    assert.equal(e.status, 502);
    assert.equal(e.type, 'upstream_error');
    assert.match(e.message, /CUDA out of memory on device 0/);
    assertNoSecret(e.message);
    return true;
  });
});

test('errors: a prediction failing mid-stream raises an APIError from the stream', async () => {
  const c = client(runtime);
  await mock.queueFault(createPath(LLAMA), 'fail_after=3,body=GPU worker lost mid-answer');
  const stream = await c.chat.completions.create({ ...ask(LLAMA, 'start then fail'), stream: true });
  let text = '';
  await assert.rejects(async () => {
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  }, (e) => {
    assert.ok(e instanceof OpenAI.APIError, e.constructor.name);
    assert.match(e.message, /GPU worker lost mid-answer/);
    assertNoSecret(e.message);
    return true;
  });
  assert.equal(text, 'Hello! You said:', 'the tokens before the failure were delivered');
});
