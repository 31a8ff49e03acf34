// Helpers shared by the hardening suites (tests/e2e/hardening_*.test.mjs) and the soak script:
// raw HTTP over sockets, SSE reading with fetch, error-envelope checks, /proc sampling.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';

// One OpenAI-compatible target on a kt-mock (or any) base URL.
export function openaiTarget(id, model, baseUrl, { key = 'KT_HARD_KEY', extra = '' } = {}) {
  return `    - id: ${id}
      provider: openai
      model: "${model}"
      base_url: ${baseUrl}
      secret_key_ref: {env: ${key}}
${extra ? `${extra}\n` : ''}`;
}

export function gatewayConfig({ targets, providersExtra = '', chain = '[audit-logger]', policy = '', name = 'hardening' }) {
  return `
pack: {name: ${name}, version: 1.0.0, enabled: true}
policies:
  chain: ${chain}
${policy}
providers:
  targets:
${targets}
${providersExtra}
`;
}

// POST a JSON chat request with fetch; resolves with status, headers, text and parsed JSON.
export async function postJson(base, path, body, { headers = {}, signal } = {}) {
  const r = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, text, json };
}

export const chat = (base, body, opts) => postJson(base, '/v1/chat/completions', body, opts);

// A streamed chat request read to the end: the `data:` payloads in order.
export async function chatStream(base, body, { headers = {} } = {}) {
  const r = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ ...body, stream: true }),
  });
  const text = await r.text();
  const ctype = r.headers.get('content-type') ?? '';
  const events = [];
  if (ctype.startsWith('text/event-stream')) {
    for (const block of text.split('\n\n')) {
      const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart());
      if (data.length) events.push(data.join('\n'));
    }
  }
  let json;
  if (!ctype.startsWith('text/event-stream')) {
    try { json = JSON.parse(text); } catch { json = undefined; }
  }
  const done = events.at(-1) === '[DONE]';
  const parsed = events.filter((e) => e !== '[DONE]').map((e) => JSON.parse(e));
  const error = parsed.find((e) => e.error)?.error;
  const content = parsed.map((e) => e.choices?.[0]?.delta?.content ?? '').join('');
  const finish = parsed.map((e) => e.choices?.[0]?.finish_reason).find((f) => f);
  return { status: r.status, headers: r.headers, text, events, parsed, done, error, content, finish, json };
}

// The OpenAI error envelope with the given status and type (and code when given).
export function assertEnvelope(res, status, type, code) {
  assert.equal(res.status, status, res.text?.slice(0, 500));
  const e = res.json?.error;
  assert.ok(e, `an error envelope: ${res.text?.slice(0, 500)}`);
  assert.equal(typeof e.message, 'string');
  assert.ok(e.message.length > 0);
  assert.equal(e.type, type, JSON.stringify(e));
  if (code !== undefined) assert.equal(e.code, code, JSON.stringify(e));
  assert.equal(e.param, null);
  const rid = res.headers?.get ? res.headers.get('x-request-id') : res.headers?.['x-request-id'];
  assert.ok(rid, 'x-request-id');
  return e;
}

// A stream that failed after it started: an error event, then [DONE]; never a silent end.
export function assertStreamError(s, type) {
  assert.equal(s.status, 200, s.text.slice(0, 300));
  assert.ok(s.error, `an error event in the stream: ${s.text.slice(-500)}`);
  if (type) assert.equal(s.error.type, type, JSON.stringify(s.error));
  assert.ok(typeof s.error.message === 'string' && s.error.message.length > 0);
  assert.ok(s.done, 'the stream ends with [DONE]');
  assert.equal(s.finish, undefined, 'no finish_reason: the answer is not presented as complete');
}

// Writes raw bytes on a fresh connection and collects everything until the peer closes (or the
// timeout). `chunks` may be a string/Buffer or an array written with `gapMs` between pieces.
export function rawExchange(port, chunks, { timeoutMs = 10000, gapMs = 0, host = '127.0.0.1' } = {}) {
  return new Promise((resolve) => {
    const list = Array.isArray(chunks) ? chunks : [chunks];
    const s = net.connect(port, host);
    let data = Buffer.alloc(0);
    let closed = false;
    const started = Date.now();
    const finish = (how) => {
      if (closed) return;
      closed = true;
      clearTimeout(t);
      s.destroy();
      resolve({ text: data.toString('latin1'), how, ms: Date.now() - started });
    };
    const t = setTimeout(() => finish('timeout'), timeoutMs);
    s.on('data', (d) => { data = Buffer.concat([data, d]); });
    s.on('end', () => finish('end'));
    s.on('close', () => finish('close'));
    s.on('error', () => finish('error'));
    s.on('connect', async () => {
      for (const c of list) {
        if (closed) return;
        s.write(c);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

// Parses the first HTTP response in a raw byte string (Content-Length or chunked body).
export function parseRaw(text) {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: '', text };
  const lines = text.slice(0, end).split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = text.slice(end + 4);
  if (headers['content-length'] !== undefined) body = body.slice(0, Number(headers['content-length']));
  let json;
  try { json = JSON.parse(body); } catch { json = undefined; }
  return { status, headers, body, json, text };
}

export function procStatus(pid) {
  const t = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number((t.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm')) ?? [0, 0])[1]);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

export function fdCount(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const CHAT = (model, content = 'hello there') => ({ model, messages: [{ role: 'user', content }] });
