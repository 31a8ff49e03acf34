// kt-mock's Replicate simulator driven by the official `replicate` npm client 1.4.0: proves the
// mock is faithful to what real clients expect (wire-formats §1–§3).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Replicate from 'replicate';
import { startMock } from './lib/mock.mjs';

const COMMUNITY_VERSION = '5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa';
const LLAMA = 'meta/meta-llama-3-70b-instruct';
const CREATE_LLAMA = `/v1/models/${LLAMA}/predictions`;

let mock;
let replicate;

before(async () => {
  mock = await startMock({ tokenDelayMs: 5, coldStartMs: 20 });
  replicate = new Replicate({ auth: 'r8_test_token', baseUrl: mock.replicateBase });
});
after(async () => { await mock?.stop(); });

async function apiError(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected the call to fail');
}

describe('replicate client against kt-mock', () => {
  test('run on a chat model returns the echoed tokens (Prefer: wait)', async () => {
    const out = await replicate.run(LLAMA, { input: { prompt: 'Tell me a joke' } });
    assert.ok(Array.isArray(out));
    assert.equal(out.join(''), 'Hello! You said: Tell me a joke');
    const [create] = await mock.requests(CREATE_LLAMA).then((r) => r.slice(-1));
    assert.equal(create.headers.prefer, 'wait');
    assert.equal(create.headers.authorization, 'Bearer r8_test_token');
    assert.match(create.headers['user-agent'], /^replicate-javascript\/1\.4\.0/);
    assert.deepEqual(create.body, { input: { prompt: 'Tell me a joke' } });
  });

  test('the sync quirk: Prefer: wait answers processing with full output and no metrics', async () => {
    const p = await replicate.predictions.create({ model: LLAMA, input: { prompt: 'quirk' }, wait: 5 });
    assert.equal(p.status, 'processing');
    assert.equal(p.output.join(''), 'Hello! You said: quirk');
    assert.equal(p.metrics, undefined);
    assert.equal(p.completed_at, undefined);
    const later = await replicate.predictions.get(p.id);
    assert.equal(later.status, 'succeeded');
    assert.equal(later.metrics.output_token_count, later.output.length);
    assert.equal(later.metrics.input_token_count, 1);
  });

  test('x-mock-* headers (through a custom fetch): sync answer without the quirk, slower tokens', async () => {
    const headers = { 'x-mock-sync-quirk': '0', 'x-mock-token-delay-ms': '30', 'x-mock-cold-start-ms': '0' };
    const client = new Replicate({
      auth: 'r8_test_token', baseUrl: mock.replicateBase,
      fetch: (url, init) => fetch(url, { ...init, headers: { ...init.headers, ...headers } }),
    });
    const t0 = Date.now();
    const p = await client.predictions.create({ model: LLAMA, input: { prompt: 'x y' }, wait: 10 });
    assert.ok(Date.now() - t0 >= 5 * 30 - 10);
    assert.equal(p.status, 'succeeded');
    assert.equal(p.metrics.output_token_count, 5);
    assert.ok(p.completed_at);
    const internals = await mock.prediction(p.id);
    assert.equal(internals.token_delay_ms, 30);
    assert.equal(internals.cold_start_ms, 0);
  });

  test('run on flux-schnell returns readable FileOutput images', async () => {
    const out = await replicate.run('black-forest-labs/flux-schnell',
      { input: { prompt: 'a cat', num_outputs: 2, aspect_ratio: '16:9' } });
    assert.equal(out.length, 2);
    const blob = await out[0].blob();
    assert.equal(blob.type, 'image/webp');
    const bytes = Buffer.from(await blob.arrayBuffer());
    assert.equal(bytes.subarray(0, 4).toString(), 'RIFF');
    assert.equal(bytes.subarray(8, 12).toString(), 'WEBP');
  });

  test('async image prediction: URLs on the stream port serve images without auth', async () => {
    let p = await replicate.predictions.create({
      model: 'stability-ai/stable-diffusion-3.5-large', input: { prompt: 'x', output_format: 'png' },
    });
    p = await replicate.wait(p, { interval: 20 });
    assert.equal(p.status, 'succeeded');
    assert.equal(typeof p.output, 'string');  // SD 3.5: one URL, not an array
    assert.ok(p.output.startsWith(`${mock.streamBase}/files/${p.id}/`));
    const r = await fetch(p.output);
    assert.equal(r.headers.get('content-type'), 'image/png');
    const bytes = Buffer.from(await r.arrayBuffer());
    assert.equal(bytes.subarray(1, 4).toString(), 'PNG');
  });

  test('predictions.create + wait: starting -> succeeded with metrics and timestamps', async () => {
    await mock.queueFault(CREATE_LLAMA, 'cold_start=300');
    const created = await replicate.predictions.create({ model: LLAMA, input: { prompt: 'a b c', max_tokens: 4 } });
    assert.equal(created.status, 'starting');
    assert.equal(created.output, null);
    assert.match(created.id, /^[a-z0-9]{26}$/);
    assert.ok(created.urls.get.endsWith(`/v1/predictions/${created.id}`));
    assert.ok(created.urls.stream.startsWith(mock.streamBase));
    assert.equal(created.urls.web, `https://replicate.com/p/${created.id}`);
    const done = await replicate.wait(created, { interval: 20 });
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.output, ['Hello!', ' You', ' said:', ' a']);  // capped by max_tokens
    for (const k of ['created_at', 'started_at', 'completed_at']) {
      assert.match(done[k], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    }
    assert.ok(done.metrics.predict_time > 0);
    assert.ok(done.metrics.total_time >= done.metrics.predict_time);
    assert.equal(done.metrics.output_token_count, 4);
    assert.ok(done.metrics.time_to_first_token >= 0);
  });

  test('mixtral honours max_new_tokens, not max_tokens', async () => {
    const out = await replicate.run('mistralai/mixtral-8x7b-instruct-v0.1',
      { input: { prompt: '<s>[INST] one two three [/INST] ', max_new_tokens: 5, max_tokens: 1 } });
    assert.deepEqual(out, ['Hello!', ' You', ' said:', ' one', ' two']);
  });

  test('stream() yields the tokens in order with leading spaces and newlines intact', async () => {
    const tokens = [];
    let done;
    for await (const ev of replicate.stream(LLAMA, { input: { prompt: 'one  two\n\nthree' } })) {
      if (ev.event === 'output') tokens.push(ev.data);
      if (ev.event === 'done') done = ev;
    }
    assert.deepEqual(tokens, ['Hello!', ' You', ' said:', ' one', '  two', '\n\nthree']);
    assert.equal(done.data, '{}');
  });

  test('raw SSE: ": hi" first, every event has event: and id: lines', async () => {
    const p = await replicate.predictions.create({ model: LLAMA, input: { prompt: 'x' } });
    const text = await (await fetch(p.urls.stream, { headers: { Accept: 'text/event-stream' } })).text();
    assert.ok(text.startsWith(': hi\n\n'));
    const events = text.slice(6).trim().split('\n\n');
    for (const e of events) assert.match(e, /^event: (output|done)\nid: \d+:\d+\ndata: /);
    assert.equal(events.at(-1).split('\n')[2], 'data: {}');
  });

  test('predictions.create with a version runs the community model', async () => {
    const p = await replicate.predictions.create({ version: COMMUNITY_VERSION, input: { prompt: 'v' } });
    assert.equal(p.model, 'acme/community-llm');
    assert.equal(p.version, COMMUNITY_VERSION);
    const out = await replicate.run(`acme/community-llm:${COMMUNITY_VERSION}`, { input: { prompt: 'hey' } });
    assert.equal(out.join(''), 'Hello! You said: hey');
    const [req] = (await mock.requests('/v1/predictions')).filter((r) => r.method === 'POST').slice(-1);
    assert.equal(req.body.version, COMMUNITY_VERSION);
  });

  test('models.get and models.versions.get', async () => {
    const m = await replicate.models.get('acme', 'community-llm');
    assert.equal(m.latest_version.id, COMMUNITY_VERSION);
    const v = await replicate.models.versions.get('acme', 'community-llm', COMMUNITY_VERSION);
    assert.equal(v.id, COMMUNITY_VERSION);
  });

  test('deployments: get and predictions.create', async () => {
    const d = await replicate.deployments.get('acme', 'my-deployment');
    assert.equal(d.current_release.model, 'acme/community-llm');
    let p = await replicate.deployments.predictions.create('acme', 'my-deployment', { input: { prompt: 'dep' } });
    assert.equal(p.deployment, 'acme/my-deployment');
    p = await replicate.wait(p, { interval: 20 });
    assert.equal(p.output.join(''), 'Hello! You said: dep');
  });

  test('cancel: canceled status, stream ends with done {"reason":"canceled"}', async () => {
    await mock.queueFault(CREATE_LLAMA, 'cold_start=5000');
    const p = await replicate.predictions.create({ model: LLAMA, input: { prompt: 'slow' } });
    const events = [];
    const reading = (async () => {
      const text = await (await fetch(p.urls.stream)).text();
      events.push(...text.split('\n\n').filter((e) => e.startsWith('event:')));
    })();
    await new Promise((r) => setTimeout(r, 100));
    const canceled = await replicate.predictions.cancel(p.id);
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.output, null);
    assert.ok(canceled.metrics.total_time >= 0);
    await reading;
    assert.equal(events.length, 1);
    assert.match(events[0], /^event: done\nid: \d+:0\ndata: \{"reason":"canceled"\}$/);
    assert.equal((await mock.prediction(p.id)).canceled, true);
    assert.equal((await replicate.predictions.get(p.id)).status, 'canceled');
  });

  test('predictions.get and predictions.list', async () => {
    const p = await replicate.predictions.create({ model: LLAMA, input: { prompt: 'listed' } });
    const got = await replicate.predictions.get(p.id);
    assert.equal(got.id, p.id);
    const page = await replicate.predictions.list();
    assert.equal(page.results[0].id, p.id);  // newest first
    assert.ok('next' in page && 'previous' in page);
  });

  test('401 without a token and with a bad one (problem+json)', async () => {
    const bad = new Replicate({ auth: 'not-a-token', baseUrl: mock.replicateBase });
    const e = await apiError(bad.predictions.create({ model: LLAMA, input: { prompt: 'x' } }));
    assert.equal(e.name, 'ApiError');
    assert.equal(e.response.status, 401);
    assert.match(e.message, /You did not pass a valid authentication token/);
    const r = await fetch(`${mock.replicateBase}/predictions/x`);
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
    assert.deepEqual(await r.json(),
      { title: 'Unauthenticated', detail: 'You did not pass an authentication token', status: 401 });
    const token = await fetch(`${mock.replicateBase}/predictions`, { headers: { Authorization: 'Token r8_legacy' } });
    assert.equal(token.status, 200);
  });

  test('404 for an unknown model', async () => {
    const e = await apiError(replicate.run('nobody/nothing', { input: { prompt: 'x' } }));
    assert.equal(e.response.status, 404);
    assert.match(e.message, /The requested resource could not be found/);
  });

  test('422 with invalid_fields for bad flux input, and for a bad version', async () => {
    const e = await apiError(replicate.run('black-forest-labs/flux-schnell',
      { input: { num_inference_steps: 5, aspect_ratio: '7:1' } }));
    assert.equal(e.response.status, 422);
    const body = JSON.parse(e.message.slice(e.message.indexOf('{'), e.message.lastIndexOf('}') + 1));
    assert.equal(body.title, 'Input validation failed');
    assert.deepEqual(body.invalid_fields.map((f) => [f.type, f.field]), [
      ['required', 'input'], ['enum', 'input.aspect_ratio'], ['number_lte', 'input.num_inference_steps']]);
    assert.match(body.detail, /- input: prompt is required\n/);
    assert.match(body.detail, /- input.num_inference_steps: Must be less than or equal to 4\n/);
    const v = await apiError(replicate.predictions.create({ version: 'f'.repeat(64), input: {} }));
    assert.equal(v.response.status, 422);
    assert.match(v.message, /Invalid version or not permitted/);
  });

  test('429 with Retry-After: the client retries, then gives up with ApiError 429', async () => {
    await mock.clearRequests();
    await mock.queueFault(CREATE_LLAMA, 'status=429,retry_after=1', 10);
    const e = await apiError(replicate.predictions.create({ model: LLAMA, input: { prompt: 'x' } }));
    assert.equal(e.response.status, 429);
    assert.equal(e.response.headers.get('retry-after'), '1');
    assert.match(e.message, /Request was throttled. Expected available in 1 second/);
    assert.equal((await mock.requests(CREATE_LLAMA)).length, 6);  // 5 retries + 1
    await mock.clearFaults();
  });

  test('a failed prediction: run throws "Prediction failed", stream gets error then done', async () => {
    await mock.queueFault(CREATE_LLAMA, 'fail_after=2,body=CUDA out of memory', 2);
    const e = await apiError(replicate.run(LLAMA, { input: { prompt: 'boom' } }));
    assert.equal(e.message, 'Prediction failed: CUDA out of memory');
    const p = await replicate.predictions.create({ model: LLAMA, input: { prompt: 'boom' } });
    const text = await (await fetch(p.urls.stream)).text();
    const events = text.split('\n\n').filter((x) => x.startsWith('event:')).map((x) => x.split('\n'));
    assert.deepEqual(events.map((x) => x[0]), ['event: output', 'event: output', 'event: error', 'event: done']);
    assert.equal(events[2][2], 'data: CUDA out of memory');
    assert.equal(events[3][2], 'data: {"reason":"error"}');
    const failed = await replicate.predictions.get(p.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error, 'CUDA out of memory');
    assert.deepEqual(failed.output, ['Hello!', ' You']);
  });

  test('stream() surfaces a mid-stream failure as an Error', async () => {
    await mock.queueFault(CREATE_LLAMA, 'fail_after=1,body=model crashed');
    const seen = [];
    const e = await apiError((async () => {
      for await (const ev of replicate.stream(LLAMA, { input: { prompt: 'x' } })) seen.push(ev.data);
    })());
    assert.equal(e.message, 'model crashed');
    assert.deepEqual(seen, ['Hello!']);
  });

  test('stream faults: reset mid-stream and truncated stream', async () => {
    await mock.queueFault(CREATE_LLAMA, 'reset_after=2');
    const p = await replicate.predictions.create({ model: LLAMA, input: { prompt: 'x y z' } });
    await assert.rejects(fetch(p.urls.stream).then((r) => r.text()));
    await mock.queueFault(CREATE_LLAMA, 'truncated_sse');
    const q = await replicate.predictions.create({ model: LLAMA, input: { prompt: 'x' } });
    const text = await (await fetch(q.urls.stream)).text();
    assert.ok(text.includes('event: output'));
    assert.ok(!text.includes('event: done'));
  });
});
