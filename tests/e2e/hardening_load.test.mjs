// Load (issue 8 part 4): 10,000 idle keep-alive connections held open while kt keeps accepting
// and serving, then 1,000 concurrent streams that all complete intact. Reports kt's RSS and fds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { KT_BIN, freePort, startMockServer, startProcess, tempDir, waitForHttp, writeTemp } from './lib/harness.mjs';
import { openaiTarget, gatewayConfig, chat, procStatus, fdCount, sleep, CHAT } from './lib/hardening.mjs';

const IDLE = Number(process.env.KT_LOAD_IDLE ?? 10000);
const STREAMS = Number(process.env.KT_LOAD_STREAMS ?? 1000);
const env = { KT_HARD_KEY: 'sk-hardening-load-31c9' };
let mock;
let gw;

before(async () => {
  mock = await startMockServer(['--threads', '2']);
  const dir = tempDir();
  const port = await freePort();
  const cfg = writeTemp(dir, 'policy-config.yaml', gatewayConfig({ targets: openaiTarget('a', 'gpt-4o-mini', mock.url) }));
  // Raise the descriptor limit for kt only (it holds IDLE client + STREAMS upstream sockets).
  const cmd = `ulimit -n $(ulimit -Hn); exec "$0" "$@"`;
  const proc = startProcess('bash', ['-c', cmd, KT_BIN, 'gateway', 'run', '--listen', `127.0.0.1:${port}`,
    '--policy-config', cfg, '--audit-db', path.join(dir, 'kt-events.db'), '--threads', '2',
    '--max-concurrency', String(STREAMS * 2), '--max-queue', String(STREAMS * 2)], { env, cwd: dir });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/readyz`, { proc, timeoutMs: 60000 });
  gw = { proc, port, base, pid: proc.child.pid };
});
after(async () => {
  await gw?.proc.stop();
  await mock?.stop();
});

// Opens `n` connections, each does one keep-alive request and then stays open and idle.
async function holdIdle(port, n) {
  const sockets = [];
  const one = () => new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.setNoDelay(true);
    s.once('error', reject);
    s.once('connect', () => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
    s.once('data', (d) => {
      if (!d.toString().startsWith('HTTP/1.1 200')) reject(new Error(d.toString()));
      s.removeAllListeners('error');
      s.on('error', () => {});
      resolve(s);
    });
  });
  for (let i = 0; i < n; i += 500) {
    const batch = await Promise.all(Array.from({ length: Math.min(500, n - i) }, one));
    sockets.push(...batch);
  }
  return sockets;
}

function stream(agent, base, i) {
  const text = `stream number ${i} says hello`;
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/v1/chat/completions`, {
      method: 'POST', agent, headers: { 'content-type': 'application/json' },
    }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { data += d; });
      res.on('end', () => {
        const evs = data.split('\n\n').filter((b) => b.startsWith('data: ')).map((b) => b.slice(6));
        const content = evs.filter((e) => e !== '[DONE]').map((e) => JSON.parse(e).choices?.[0]?.delta?.content ?? '').join('');
        resolve({ status: res.statusCode, done: evs.at(-1) === '[DONE]', ok: content === `Hello! You said: ${text}`, content });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ ...CHAT(`gpt-4o-mini`, text), stream: true }));
  });
}

test(`${IDLE} idle keep-alive connections held: kt keeps accepting and serving; then ${STREAMS} concurrent streams complete intact`, { timeout: 240000 }, async () => {
  const base0 = procStatus(gw.pid);
  const fds0 = fdCount(gw.pid);
  const t0 = Date.now();
  const idle = await holdIdle(gw.port, IDLE);
  const openMs = Date.now() - t0;
  await sleep(500);
  const held = procStatus(gw.pid);
  const fdsHeld = fdCount(gw.pid);
  assert.ok(fdsHeld >= IDLE, `kt holds the ${IDLE} connections (${fdsHeld} fds)`);
  // Still accepting and serving new connections while they are held.
  for (let i = 0; i < 5; ++i) {
    const r = await chat(gw.base, CHAT('gpt-4o-mini', `while held ${i}`));
    assert.equal(r.status, 200, r.text);
  }
  const h = await fetch(`${gw.base}/health`);
  assert.equal(h.status, 200);
  const perConnKb = (held.rssKb - base0.rssKb) / IDLE;
  console.log(`# ${IDLE} idle connections opened in ${openMs} ms; kt RSS ${base0.rssKb >> 10} -> ${held.rssKb >> 10} MiB`
    + ` (${perConnKb.toFixed(1)} KiB per connection), fds ${fds0} -> ${fdsHeld}`);
  assert.ok(perConnKb < 64, `RSS per idle connection ${perConnKb.toFixed(1)} KiB`);

  // The held connections are still usable keep-alive connections.
  const probe = idle[IDLE - 1];
  const answer = new Promise((resolve) => probe.once('data', (d) => resolve(d.toString())));
  probe.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.match(await answer, /^HTTP\/1\.1 200/);

  // STREAMS concurrent streams while the idle connections are still held.
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const t1 = Date.now();
  const results = await Promise.all(Array.from({ length: STREAMS }, (_, i) => stream(agent, gw.base, i)));
  const streamMs = Date.now() - t1;
  const bad = results.filter((r) => r.status !== 200 || !r.done || !r.ok);
  const peak = procStatus(gw.pid);
  console.log(`# ${STREAMS} concurrent streams in ${streamMs} ms, ${STREAMS - bad.length} intact; kt RSS ${peak.rssKb >> 10} MiB, VmHWM ${peak.hwmKb >> 10} MiB`);
  assert.equal(bad.length, 0, JSON.stringify(bad.slice(0, 3)));
  agent.destroy();

  for (const s of idle) s.destroy();
  // What may stay open: the idle upstream pool, at most 256 connections per origin on each of
  // kt's 2 worker threads (streamed answers' connections go back to it after [DONE]).
  const poolBound = 2 * 256 + 20;
  const t2 = Date.now();
  let fds;
  for (;;) {
    fds = fdCount(gw.pid);
    if (fds <= fds0 + poolBound || Date.now() - t2 > 10000) break;
    await sleep(100);
  }
  const end = procStatus(gw.pid);
  console.log(`# after closing: kt fds ${fds}, RSS ${end.rssKb >> 10} MiB`);
  assert.ok(fds <= fds0 + poolBound, `fds return to the baseline plus the idle pool (${fds0} -> ${fds})`);
  const r = await chat(gw.base, CHAT('gpt-4o-mini', 'after the load'));
  assert.equal(r.status, 200);
});
