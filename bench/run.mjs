// The load benchmark behind bench/run (see bench/README.md). Starts kt-mock as the one upstream,
// then nginx, Portkey 1.15.2 and four kt gateways in front of it, and measures every path with the
// same payload, connection counts and upstream, in interleaved rounds so a noisy moment on the
// shared machine hits all paths alike. Writes a markdown report (and the raw numbers as JSON) to
// bench/results/ and prints it. Exit status: 0 when every path answered correctly, 1 when a path
// failed or saw errors, 3 with --strict when a target was missed, 2 on bad arguments.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(benchDir, '..');

// ---------------------------------------------------------------- options

function parseOptions(argv) {
  const o = {
    quick: false,
    strict: false,
    portkey: true,
    runs: 3,
    duration: 5,
    warmup: 2,
    ktThreads: 1,
    profile: '',
    instructions: '',
    requests: 2000,
    out: '',
  };
  const explicit = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) usage(`${a} needs a positive integer`);
      explicit[a] = true;
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--strict') o.strict = true;
    else if (a === '--skip-portkey') o.portkey = false;
    else if (a === '--runs') o.runs = num();
    else if (a === '--duration') o.duration = num();
    else if (a === '--warmup') o.warmup = num();
    else if (a === '--kt-threads') o.ktThreads = num();
    else if (a === '--profile') {
      o.profile = argv[++i];
      if (!['kt-none', 'kt-seed', 'kt-replicate', 'kt-pii-stream'].includes(o.profile)) {
        usage('--profile needs kt-none, kt-seed, kt-replicate or kt-pii-stream');
      }
    }
    else if (a === '--instructions') {
      o.instructions = argv[++i];
      if (!['kt-none', 'kt-seed', 'kt-replicate', 'kt-pii-stream'].includes(o.instructions)) {
        usage('--instructions needs kt-none, kt-seed, kt-replicate or kt-pii-stream');
      }
    } else if (a === '--requests') o.requests = num();
    else if (a === '--memory-only') o.memoryOnly = true;
    else if (a === '--out') {
      if (i + 1 >= argv.length) usage('--out needs a file name');
      o.out = argv[++i];
    } else if (a === '-h' || a === '--help') usage('');
    else usage(`unknown argument '${a}'`);
  }
  if (o.quick) {
    if (!explicit['--runs']) o.runs = 1;
    if (!explicit['--duration']) o.duration = 2;
    if (!explicit['--warmup']) o.warmup = 1;
  }
  o.streamReps = o.quick ? 1 : 3;
  o.singleStreamRounds = o.quick ? 4 : 8;
  return o;
}

function usage(error) {
  const text = `usage: bench/run [--quick] [--runs N] [--duration S] [--warmup S] [--kt-threads N]
                 [--skip-portkey] [--strict] [--out FILE] [--profile KT_PATH]
                 [--instructions KT_PATH [--requests N]]
  --quick         smoke run: 1 run of 2 s per measurement, 1 s warm-up, short stream probes
  --runs N        runs per measurement; the report shows the median (default 3)
  --duration S    seconds per wrk run (default 5); --warmup S seconds of excluded warm-up (default 2)
  --kt-threads N  kt worker threads (default 1, the same as nginx's one worker)
  --skip-portkey  leave out the Portkey path (it needs npm and the registry on first use)
  --strict        exit 3 when a target is missed
  --out FILE      report file (default bench/results/<UTC date>.md; --quick: <date>.quick.tmp)
  --profile P     instead of the benchmark, perf-sample kt path P (kt-none, kt-seed, kt-replicate,
                  kt-pii-stream) under wrk -c16 for --duration seconds and print its hottest functions
  --instructions P  instead of the benchmark, run kt path P under valgrind (callgrind) and count
                  the instructions kt executes per request over --requests N (default 2000)
                  sequential keep-alive requests after 200 uncounted ones (repeatable on a busy
                  machine, unlike timings); kt-pii-stream sends streamed requests
  --memory-only   only the memory measurement: kt's VmHWM at 1,000 concurrent streams
env: KT_BIN, KT_MOCK_BIN (default build/kt, build/kt-mock)\n`;
  process.stderr.write((error ? `bench/run: ${error}\n` : '') + text);
  process.exit(error ? 2 : 0);
}

// ---------------------------------------------------------------- processes

const children = new Set();
let tmpDir = '';

function log(msg) {
  process.stderr.write(`[bench] ${msg}\n`);
}

function tail(file, lines = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// Starts a child with stdout/stderr in <tmp>/<name>.log (stdout piped when `pipeStdout`).
function start(name, cmd, args, { env = {}, pipeStdout = false } = {}) {
  const logFile = path.join(tmpDir, `${name}.log`);
  const fd = fs.openSync(logFile, 'w');
  const child = spawn(cmd, args, {
    stdio: ['ignore', pipeStdout ? 'pipe' : fd, fd],
    env: { ...process.env, ...env },
  });
  child.benchName = name;
  child.logFile = logFile;
  child.exited = null;
  children.add(child);
  child.on('exit', (code, signal) => {
    child.exited = { code, signal };
    children.delete(child);
  });
  child.on('error', (e) => {
    child.exited = { code: -1, signal: null, error: e.message };
    children.delete(child);
  });
  return child;
}

function fail(msg, child) {
  const detail = child ? `\n--- ${child.benchName} log (${child.logFile}) ---\n${tail(child.logFile)}` : '';
  throw new Error(msg + detail);
}

async function stopChild(child, deadlineMs = 5000) {
  if (!child || child.exited) return;
  child.kill('SIGTERM');
  const until = Date.now() + deadlineMs;
  while (!child.exited && Date.now() < until) await sleep(20);
  if (!child.exited) child.kill('SIGKILL');
}

async function stopAll() {
  await Promise.all([...children].map((c) => stopChild(c)));
}

process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    log(`${sig}: stopping`);
    stopAll().finally(() => process.exit(130));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function request(port, method, urlPath, headers = {}, body = '') {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: urlPath, agent: false, headers: {
        ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        ...headers,
      } },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode, body: data }));
      },
    );
    req.setTimeout(10000, () => req.destroy(new Error('timed out after 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

// Polls `probe` (async, returns truthy when ready) until it succeeds, the child exits or time's up.
async function waitReady(child, what, probe, timeoutMs = 30000) {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    if (child.exited) fail(`${what} exited (${JSON.stringify(child.exited)}) before it was ready`, child);
    try {
      if (await probe()) return;
    } catch (e) {
      last = e.message;
    }
    await sleep(100);
  }
  fail(`${what} was not ready after ${timeoutMs / 1000} s${last ? ` (last error: ${last})` : ''}`, child);
}

function readStatus(pid) {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number((text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm')) || [])[1]);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

// ---------------------------------------------------------------- the system under test

const OPENAI_KEY = 'sk-bench-not-a-real-key';
const REPLICATE_TOKEN = 'r8_bench_not_a_real_token';
const CHAT_MODEL = 'gpt-4o-mini';
const REPLICATE_MODEL = 'meta/meta-llama-3-70b-instruct';

// A fixed chat request of about 250 bytes; only the model name differs for the Replicate path.
function chatBody(model) {
  return JSON.stringify({
    model,
    messages: [
      { role: 'system', content: 'You are a concise assistant.' },
      {
        role: 'user',
        content:
          'Summarise in two short sentences why an HTTP proxy keeps upstream connections ' +
          'alive, and what it saves per request on a loopback network.',
      },
    ],
    max_tokens: 64,
    temperature: 0.2,
  });
}

// Streamed prompt: plain text without PII, so the redacting path must pass it through unchanged.
const STREAM_CONTENT =
  'please repeat these words back slowly one by one so that we can measure how long each ' +
  'streamed token takes on its way through the gateway under test today thanks';
const STREAM_EXPECT = `Hello! You said: ${STREAM_CONTENT}`;

function ktConfig(name, mockPort, { chain = [], policyYaml = '', replicate = false, sync = false }) {
  const target = replicate
    ? [
        '    - id: mock-replicate',
        `      provider: replicate:chat:${REPLICATE_MODEL}`,
        `      base_url: http://127.0.0.1:${mockPort}/v1`,
        '      secret_key_ref: {env: KT_BENCH_REPLICATE_TOKEN}',
      ]
    : [
        '    - id: mock-openai',
        '      provider: openai',
        `      base_url: http://127.0.0.1:${mockPort}/v1`,
        '      secret_key_ref: {env: KT_BENCH_OPENAI_KEY}',
      ];
  return [
    `# bench/run: ${name}`,
    `pack: {name: bench-${name}, version: 1.0.0, enabled: true}`,
    `policies: {chain: [${chain.join(', ')}]}`,
    policyYaml,
    'providers:',
    '  targets:',
    ...target,
    `audit: {durability: ${sync ? 'sync' : 'async'}}`,
    '',
  ]
    .filter((l) => l !== '')
    .join('\n') + '\n';
}

const SEED_POLICIES = `policy:
  prompt-injection:
    threshold: 0.5
    encoding: {decode_base64: true, normalize_unicode: true, detect_homoglyphs: true}
    boundaries: {reject_fake_boundaries: true}
  pii-detector:
    action: redact
    scan_output: true
  audit-logger:
    immutable: true
    retention_days: 30
    log_all_access: true`;

const PII_STREAM_POLICIES = `policy:
  pii-detector:
    action: redact
    scan_output: true`;

// The four gateways under test, by path id.
function ktConfigs(mockPort) {
  return {
    'kt-none': ktConfig('none', mockPort, {}),
    'kt-seed': ktConfig('seed', mockPort, {
      chain: ['prompt-injection', 'pii-detector', 'audit-logger'], policyYaml: SEED_POLICIES, sync: true,
    }),
    'kt-replicate': ktConfig('replicate', mockPort, { replicate: true }),
    'kt-pii-stream': ktConfig('pii-stream', mockPort, { chain: ['pii-detector'], policyYaml: PII_STREAM_POLICIES }),
  };
}

async function startMock(bin) {
  const child = start('kt-mock', bin, [
    '--listen', '127.0.0.1:0', '--stream-listen', '127.0.0.1:0',
    '--cold-start-ms', '0', '--token-delay-ms', '0', '--journal-size', '0',
  ], { pipeStdout: true });
  const out = fs.createWriteStream(path.join(tmpDir, 'kt-mock.stdout'));
  const ports = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('kt-mock printed no ports within 10 s')), 10000);
    child.stdout.on('data', (d) => {
      out.write(d);
      if (buf === null) return;
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf.slice(0, nl)));
      } catch {
        reject(new Error(`kt-mock's first line is not JSON: ${buf.slice(0, nl)}`));
      }
      buf = null;
    });
    child.on('exit', () => reject(new Error('kt-mock exited at start')));
  }).catch((e) => fail(e.message, child));
  return { child, api: ports.api, stream: ports.stream };
}

async function startNginx(mockPort) {
  const prefix = path.join(tmpDir, 'nginx');
  fs.mkdirSync(prefix, { recursive: true });
  const port = await freePort();
  const conf = fs
    .readFileSync(path.join(benchDir, 'nginx.conf'), 'utf8')
    .replaceAll('@USER_LINE@', process.getuid() === 0 ? 'user root;' : '')
    .replaceAll('@PREFIX@', prefix)
    .replaceAll('@UPSTREAM_PORT@', String(mockPort))
    .replaceAll('@LISTEN_PORT@', String(port));
  const confFile = path.join(prefix, 'nginx.conf');
  fs.writeFileSync(confFile, conf);
  const child = start('nginx', 'nginx', ['-e', path.join(prefix, 'error.log'), '-p', prefix, '-c', confFile]);
  await waitReady(child, 'nginx', async () => (await request(port, 'GET', '/healthz')).status === 200);
  return { child, port };
}

async function startPortkey(mockPort) {
  let entry;
  try {
    entry = execFileSync(path.join(benchDir, 'portkey.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch (e) {
    return { skipped: `Portkey install failed (${e.message.split('\n')[0]})` };
  }
  const port = await freePort();
  const child = start('portkey', process.execPath, [entry, `--port=${port}`, '--headless']);
  const headers = portkeyHeaders(mockPort);
  await waitReady(
    child, 'Portkey',
    async () => (await request(port, 'POST', '/v1/chat/completions', headers, chatBody(CHAT_MODEL))).status === 200,
    60000,
  );
  return { child, port };
}

function portkeyHeaders(mockPort) {
  return {
    authorization: `Bearer ${OPENAI_KEY}`,
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `http://127.0.0.1:${mockPort}/v1`,
  };
}

async function startKt(bin, name, yaml, threads) {
  const dir = path.join(tmpDir, name);
  fs.mkdirSync(dir, { recursive: true });
  const cfg = path.join(dir, 'policy-config.yaml');
  fs.writeFileSync(cfg, yaml);
  const port = await freePort();
  const child = start(name, bin, [
    'gateway', 'run', '--listen', `127.0.0.1:${port}`, '--policy-config', cfg,
    '--audit-db', path.join(dir, 'events.db'), '--threads', String(threads),
    '--max-concurrency', '4096', '--max-queue', '4096', '--log-level', 'warn', '--drain-seconds', '2',
  ], { env: { KT_BENCH_OPENAI_KEY: OPENAI_KEY, KT_BENCH_REPLICATE_TOKEN: REPLICATE_TOKEN } });
  await waitReady(child, `kt (${name})`, async () => (await request(port, 'GET', '/readyz')).status === 200);
  return { child, port };
}

// ---------------------------------------------------------------- measurements

function wrk(p, conns, seconds) {
  const threads = conns === 1 ? 1 : 2;
  const args = [
    `-t${threads}`, `-c${conns}`, `-d${seconds}s`, '--timeout', '10s', '--latency',
    '-s', path.join(benchDir, 'chat.lua'), `http://127.0.0.1:${p.port}`,
  ];
  const env = {
    ...process.env,
    BENCH_PATH: '/v1/chat/completions',
    BENCH_BODY: p.body,
    BENCH_HEADERS: Object.entries(p.headers).map(([k, v]) => `${k}: ${v}`).join('\n'),
  };
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`wrk ${args.join(' ')} failed (exit ${code}): ${err.trim() || out.trim()}`));
        return;
      }
      const r = JSON.parse(line.slice('BENCH_RESULT '.length));
      r.rps = r.requests / (r.duration_us / 1e6);
      r.error_count = Object.values(r.errors).reduce((a, b) => a + b, 0);
      resolve(r);
    });
  });
}

function probe(url, model, streams, rounds, { warmup = true, headers = {} } = {}) {
  const args = [
    path.join(benchDir, 'stream_probe.mjs'), '--url', url, '--model', model,
    '--content', STREAM_CONTENT, '--expect', STREAM_EXPECT,
    '--streams', String(streams), '--rounds', String(rounds), '--timeout-ms', '120000',
  ];
  if (!warmup) args.push('--no-warmup');
  for (const [k, v] of Object.entries(headers)) args.push('--header', `${k}: ${v}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`stream_probe failed (exit ${code}): ${err.trim()}`));
      resolve(JSON.parse(out));
    });
  });
}

const median = (xs) => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

// ---------------------------------------------------------------- report formatting

function fmtUs(us) {
  if (!Number.isFinite(us)) return 'n/a';
  const sign = us < 0 ? '−' : '';
  const a = Math.abs(us);
  if (a >= 10000) return `${sign}${(a / 1000).toFixed(1)} ms`;
  if (a >= 1000) return `${sign}${(a / 1000).toFixed(2)} ms`;
  if (a >= 10) return `${sign}${a.toFixed(0)} µs`;
  return `${sign}${a.toFixed(1)} µs`;
}
const fmtRps = (r) => (Number.isFinite(r) ? (r >= 10000 ? `${(r / 1000).toFixed(1)}k` : r.toFixed(0)) : 'n/a');
const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a');
const fmtPct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : 'n/a');
const fmtMb = (kb) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : 'n/a');

function table(header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '--:')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

// ---------------------------------------------------------------- profile mode

// `--profile <kt path>`: samples that kt with perf while wrk drives it at 16 connections and
// prints the functions with the most self time (the hot path), instead of the benchmark.
async function profile(o, ktBin, mockBin) {
  const mock = await startMock(mockBin);
  const kt = await startKt(ktBin, o.profile, ktConfigs(mock.api)[o.profile], o.ktThreads);
  const p = {
    port: kt.port,
    headers: { authorization: `Bearer ${OPENAI_KEY}` },
    body: chatBody(o.profile === 'kt-replicate' ? REPLICATE_MODEL : CHAT_MODEL),
  };
  await wrk(p, 16, o.warmup);
  const data = path.join(tmpDir, 'perf.data');
  const rec = start('perf', 'perf', ['record', '-F', '1999', '-p', String(kt.child.pid), '-o', data,
                                     '--', 'sleep', String(o.duration)]);
  const res = await wrk(p, 16, o.duration);
  while (!rec.exited) await sleep(50);
  if (rec.exited.code !== 0) fail('perf record failed', rec);
  const report = execFileSync('perf', ['report', '-i', data, '--stdio', '--no-children',
                                       '--sort', 'dso,symbol', '--percent-limit', '0.5'],
                              { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
  const top = report.split('\n').filter((l) => /^\s+\d+\.\d+%/.test(l)).slice(0, 40);
  process.stdout.write(`# perf profile of ${o.profile}: wrk -t2 -c16 for ${o.duration} s, ` +
                       `${fmtRps(res.rps)} rps, ${res.error_count} errors; self time per function\n\n` +
                       top.map((l) => l.replace(/(\s+-)*\s*$/, '')).join('\n') + '\n');
  await stopAll();
  fs.rmSync(tmpDir, { recursive: true, force: true });
  return res.error_count > 0 ? 1 : 0;
}

// ---------------------------------------------------------------- instruction-count mode

// Sends `n` requests one after the other on one keep-alive connection; resolves with the number
// of non-200 answers. Streamed requests (`stream`) read the whole event stream.
async function sequentialRequests(port, headers, body, n) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const status = await new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve(res.statusCode));
      });
      req.setTimeout(60000, () => req.destroy(new Error('timed out after 60 s')));
      req.on('error', reject);
      req.end(body);
    });
    if (status !== 200) bad++;
  }
  agent.destroy();
  return bad;
}

// Totals and call counts of a callgrind dump: { ir, calls: Map(function name -> calls) }.
function readCallgrind(file) {
  const text = fs.readFileSync(file, 'utf8');
  const names = new Map();
  const calls = new Map();
  let callee = '';
  let ir = NaN;
  for (const line of text.split('\n')) {
    let m;
    if ((m = line.match(/^cfn=\((\d+)\)(?: (.*))?$/))) {
      if (m[2] !== undefined) names.set(m[1], m[2]);
      callee = names.get(m[1]) ?? '';
    } else if ((m = line.match(/^fn=\((\d+)\) (.*)$/))) {
      names.set(m[1], m[2]);
    } else if ((m = line.match(/^calls=(\d+)/))) {
      calls.set(callee, (calls.get(callee) ?? 0) + Number(m[1]));
    } else if ((m = line.match(/^(?:summary|totals): (\d+)/))) {
      ir = Number(m[1]);
    }
  }
  return { ir, calls };
}

// `--instructions <kt path>`: kt under callgrind; counts instructions (all of kt's threads) and
// allocations per request over o.requests sequential requests after 200 uncounted ones.
async function instructions(o, ktBin, mockBin) {
  const mock = await startMock(mockBin);
  const name = o.instructions;
  const dir = path.join(tmpDir, name);
  fs.mkdirSync(dir, { recursive: true });
  const cfg = path.join(dir, 'policy-config.yaml');
  fs.writeFileSync(cfg, ktConfigs(mock.api)[name]);
  const port = await freePort();
  const out = path.join(tmpDir, 'callgrind.out');
  const child = start(name, 'valgrind', [
    '--tool=callgrind', `--callgrind-out-file=${out}`, '--dump-instr=no', '--separate-threads=yes',
    ktBin, 'gateway', 'run', '--listen', `127.0.0.1:${port}`, '--policy-config', cfg,
    '--audit-db', path.join(dir, 'events.db'), '--threads', String(o.ktThreads),
    '--max-concurrency', '4096', '--max-queue', '4096', '--log-level', 'warn', '--drain-seconds', '2',
  ], { env: { KT_BENCH_OPENAI_KEY: OPENAI_KEY, KT_BENCH_REPLICATE_TOKEN: REPLICATE_TOKEN } });
  await waitReady(child, `kt (${name}) under callgrind`,
                  async () => (await request(port, 'GET', '/readyz')).status === 200, 300000);
  const headers = { authorization: `Bearer ${OPENAI_KEY}` };
  const body = name === 'kt-pii-stream'
    ? JSON.stringify({ model: CHAT_MODEL, stream: true, messages: [{ role: 'user', content: STREAM_CONTENT }] })
    : chatBody(name === 'kt-replicate' ? REPLICATE_MODEL : CHAT_MODEL);
  let bad = await sequentialRequests(port, headers, body, 200);
  await sleep(500);  // let the async audit writer catch up before counting
  execFileSync('callgrind_control', ['-z', String(child.pid)], { stdio: 'ignore' });
  const t0 = Date.now();
  bad += await sequentialRequests(port, headers, body, o.requests);
  await sleep(1000);
  execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
  const seconds = (Date.now() - t0) / 1000;
  await stopChild(child, 20000);
  // One dump per thread (--separate-threads): callgrind.out.<n>-<thread>.
  const dumps = fs.readdirSync(tmpDir).filter((f) => /^callgrind\.out\.\d+(-\d+)?$/.test(f)).sort();
  if (dumps.length === 0) fail('callgrind wrote no dump', child);
  let ir = 0;
  let allocs = 0;
  const threads = [];
  for (const d of dumps) {
    const file = path.join(tmpDir, d);
    const r = readCallgrind(file);
    if (!Number.isFinite(r.ir) || r.ir === 0) continue;
    const text = fs.readFileSync(file, 'utf8');
    const role = text.includes('AuditWriter::run') ? 'audit writer'
      : text.includes('Server::start') ? 'worker (I/O + request path)' : 'other';
    const a = [...r.calls].filter(([f]) => /^(malloc|calloc|realloc|operator new(\[\])?\(unsigned long\))$/.test(f))
      .reduce((n, [, c]) => n + c, 0);
    const kept = path.join(os.tmpdir(), `kt-callgrind-${name}.${d.replace(/^callgrind\.out\./, '')}`);
    fs.copyFileSync(file, kept);
    threads.push({ role, ir: r.ir, allocs: a, kept });
    ir += r.ir;
    allocs += a;
  }
  const perReq = (n) => (n / o.requests).toFixed(1);
  threads.sort((x, y) => y.ir - x.ir);
  const lines = threads.map((t) => `  ${t.role}: ${(t.ir / o.requests).toFixed(0)} instructions, ${perReq(t.allocs)} allocations per request (${t.kept})`);
  const worker = threads.find((t) => t.role.startsWith('worker'));
  let top = [];
  if (worker) {
    const annotate = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', worker.kept],
                                  { encoding: 'utf8', maxBuffer: 64 << 20 });
    top = annotate.split('\n').filter((l) => /^\s*[\d,]+ \(/.test(l) && !/PROGRAM TOTALS/.test(l)).slice(0, 30)
      .map((l) => l.replace(/ \[[^\]]*\]$/, '').slice(0, 200));
  }
  process.stdout.write(`# instructions of ${name}: ${o.requests} sequential requests (${bad} not 200) in ${seconds.toFixed(1)} s under callgrind\n` +
                       `instructions per request (all threads): ${(ir / o.requests).toFixed(0)}\n` +
                       `allocations (malloc/new) per request (all threads): ${perReq(allocs)}\n` +
                       `${lines.join('\n')}\n\n` +
                       `worker thread, self instructions per function:\n${top.join('\n')}\n`);
  await stopAll();
  fs.rmSync(tmpDir, { recursive: true, force: true });
  return bad > 0 ? 1 : 0;
}

// `--memory-only`: the memory part of the benchmark alone (a fresh kt with the seed chain
// holding 1,000 concurrent streams), for working on per-stream memory.
async function memoryOnly(o, ktBin, mockBin) {
  const mock = await startMock(mockBin);
  const kt = await startKt(ktBin, 'kt-mem', ktConfigs(mock.api)[process.env.KT_BENCH_MEM_PATH || 'kt-seed'], o.ktThreads);
  const before = readStatus(kt.child.pid);
  const res = await probe(`http://127.0.0.1:${kt.port}/v1/chat/completions`,
                          `${CHAT_MODEL}@fault=slow_tokens=100`, 1000, 1,
                          { warmup: false, headers: { authorization: `Bearer ${OPENAI_KEY}` } });
  const after = readStatus(kt.child.pid);
  process.stdout.write(`1,000 streams: ${res.ok} complete, ${res.failed} failed, peak open ${res.peak_open}; ` +
                       `kt VmRSS at start ${fmtMb(before.rssKb)}, VmHWM ${fmtMb(after.hwmKb)}\n`);
  await stopAll();
  fs.rmSync(tmpDir, { recursive: true, force: true });
  return res.failed > 0 ? 1 : 0;
}

// ---------------------------------------------------------------- main

async function main() {
  const o = parseOptions(process.argv.slice(2));
  const ktBin = path.resolve(repo, process.env.KT_BIN || 'build/kt');
  const mockBin = path.resolve(repo, process.env.KT_MOCK_BIN || 'build/kt-mock');
  for (const [what, f] of [['kt', ktBin], ['kt-mock', mockBin]]) {
    if (!fs.existsSync(f)) usage(`${what} binary not found at ${f} (build it, or set KT_BIN / KT_MOCK_BIN)`);
  }
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-bench-'));
  log(`work dir ${tmpDir}`);
  if (o.profile) return profile(o, ktBin, mockBin);
  if (o.instructions) return instructions(o, ktBin, mockBin);
  if (o.memoryOnly) return memoryOnly(o, ktBin, mockBin);
  const loadBefore = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const startedAt = new Date();

  // --- start everything
  const mock = await startMock(mockBin);
  log(`kt-mock on ${mock.api} (stream port ${mock.stream})`);
  const nginx = await startNginx(mock.api);
  log(`nginx on ${nginx.port}`);
  const portkey = o.portkey ? await startPortkey(mock.api) : { skipped: '--skip-portkey' };
  log(portkey.skipped ? `Portkey skipped: ${portkey.skipped}` : `Portkey on ${portkey.port}`);
  const kts = {};
  const ktSpecs = ktConfigs(mock.api);
  for (const [name, yaml] of Object.entries(ktSpecs)) {
    kts[name] = await startKt(ktBin, name, yaml, o.ktThreads);
    log(`${name} on ${kts[name].port}`);
  }

  const auth = { authorization: `Bearer ${OPENAI_KEY}` };
  const paths = [
    { id: 'direct', label: 'direct → kt-mock', port: mock.api, headers: auth, model: CHAT_MODEL },
    { id: 'nginx', label: 'nginx 1 worker', port: nginx.port, headers: auth, model: CHAT_MODEL },
    portkey.skipped
      ? { id: 'portkey', label: 'Portkey 1.15.2', skipped: portkey.skipped }
      : { id: 'portkey', label: 'Portkey 1.15.2', port: portkey.port, headers: portkeyHeaders(mock.api), model: CHAT_MODEL },
    { id: 'kt-none', label: 'kt, no policies', port: kts['kt-none'].port, headers: auth, model: CHAT_MODEL },
    { id: 'kt-seed', label: 'kt, seed chain (sync audit)', port: kts['kt-seed'].port, headers: auth, model: CHAT_MODEL },
    { id: 'kt-replicate', label: 'kt → Replicate sim', port: kts['kt-replicate'].port, headers: auth, model: REPLICATE_MODEL },
  ];
  const live = paths.filter((p) => !p.skipped);
  const problems = [];

  // --- sanity: every path answers the same request with a chat completion
  for (const p of live) {
    p.body = chatBody(p.model);
    const r = await request(p.port, 'POST', '/v1/chat/completions', p.headers, p.body);
    let content;
    try {
      content = JSON.parse(r.body).choices?.[0]?.message?.content;
    } catch {
      content = undefined;
    }
    if (r.status !== 200 || typeof content !== 'string' || content.length === 0) {
      throw new Error(`${p.label}: sanity request answered ${r.status}: ${r.body.slice(0, 300)}`);
    }
    p.replyBytes = Buffer.byteLength(r.body);
  }
  log(`request body ${Buffer.byteLength(chatBody(CHAT_MODEL))} bytes; all ${live.length} paths answer`);

  // --- warm-up (excluded), then interleaved rounds
  for (const p of live) await wrk(p, 64, o.warmup);
  const levels = [1, 16, 64];
  const runs = Object.fromEntries(live.map((p) => [p.id, { 1: [], 16: [], 64: [] }]));
  for (let r = 0; r < o.runs; r++) {
    for (const p of live) {
      for (const c of levels) {
        const res = await wrk(p, c, o.duration);
        runs[p.id][c].push(res);
        if (res.error_count > 0) problems.push(`${p.label} at ${c} conns: ${JSON.stringify(res.errors)} errors`);
      }
      log(`round ${r + 1}/${o.runs} ${p.id}: p50 ${fmtUs(runs[p.id][1][r].p50_us)}, ` +
          `${fmtRps(runs[p.id][16][r].rps)} rps @16, ${fmtRps(runs[p.id][64][r].rps)} rps @64`);
    }
  }

  // Per-round differences and ratios against the same round's direct/nginx/Portkey, then medians.
  const perRound = (fn) => median(Array.from({ length: o.runs }, (_, r) => fn(r)));
  const get = (id, c, key) => (r) => (runs[id] ? runs[id][c][r][key] : NaN);
  const stats = {};
  for (const p of live) {
    const s = (stats[p.id] = {});
    s.p50 = median(runs[p.id][1].map((x) => x.p50_us));
    s.p99 = median(runs[p.id][1].map((x) => x.p99_us));
    s.rps16 = median(runs[p.id][16].map((x) => x.rps));
    s.rps64 = median(runs[p.id][64].map((x) => x.rps));
    s.addedP50 = perRound((r) => get(p.id, 1, 'p50_us')(r) - get('direct', 1, 'p50_us')(r));
    s.addedP99 = perRound((r) => get(p.id, 1, 'p99_us')(r) - get('direct', 1, 'p99_us')(r));
    s.rps16VsDirect = perRound((r) => get(p.id, 16, 'rps')(r) / get('direct', 16, 'rps')(r));
    s.errors = [1, 16, 64].reduce((n, c) => n + runs[p.id][c].reduce((m, x) => m + x.error_count, 0), 0);
  }
  const ratio = (a, b, c, key) => perRound((r) => get(a, c, key)(r) / get(b, c, key)(r));
  const addedRatio = (a, b) =>
    perRound((r) => (get(a, 1, 'p50_us')(r) - get('direct', 1, 'p50_us')(r)) /
                    (get(b, 1, 'p50_us')(r) - get('direct', 1, 'p50_us')(r)));

  // --- streaming: direct vs kt (no policies) vs kt (streamed PII redaction), interleaved
  // Per-token delay from kt-mock: 5 ms for one stream; 20 ms for 256, so the 2-core machine
  // (client, gateway and upstream together) is not saturated by 256 x 33 chunk writes.
  const slowMs = { 1: 5, 256: 20 };
  const streamPaths = [
    { id: 'direct', label: 'direct → kt-mock', port: mock.api },
    { id: 'kt-none', label: 'kt, no policies', port: kts['kt-none'].port },
    { id: 'kt-pii-stream', label: 'kt, streamed PII redaction', port: kts['kt-pii-stream'].port },
  ];
  const streamRuns = {};
  for (const c of [1, 256]) {
    for (let rep = 0; rep < o.streamReps; rep++) {
      for (const sp of streamPaths) {
        const rounds = c === 1 ? o.singleStreamRounds : 1;
        const model = `${CHAT_MODEL}@fault=slow_tokens=${slowMs[c]}`;
        const res = await probe(`http://127.0.0.1:${sp.port}/v1/chat/completions`, model, c, rounds,
                                { headers: auth });
        ((streamRuns[sp.id] ??= {})[c] ??= []).push(res);
        if (res.failed > 0 || res.mismatched > 0) {
          problems.push(`${sp.label} at ${c} streams: ${res.failed} failed (${res.errors.join('; ')}), ` +
                        `${res.mismatched} with altered text`);
        }
      }
    }
    log(`streams @${c}: done`);
  }
  const streamStats = {};
  for (const sp of streamPaths) {
    streamStats[sp.id] = {};
    for (const c of [1, 256]) {
      const rs = streamRuns[sp.id][c];
      const d = streamRuns.direct[c];
      streamStats[sp.id][c] = {
        ttft: median(rs.map((x) => x.ttft_us.p50)),
        perToken: median(rs.map((x) => x.per_token_us.p50)),
        addedTtft: median(rs.map((x, i) => x.ttft_us.p50 - d[i].ttft_us.p50)),
        addedPerToken: median(rs.map((x, i) => x.per_token_us.p50 - d[i].per_token_us.p50)),
        // How much later each word arrives than it does directly: median over the words, then
        // over the repetitions (a word held back until the next one shows up here, not above).
        addedWordDelay: median(rs.map((x, i) => median(
          x.word_at_us.map((at, k) => at - d[i].word_at_us[k])))),
        ok: rs.reduce((n, x) => n + x.ok, 0),
        total: rs.reduce((n, x) => n + x.ok + x.failed, 0),
        words: rs[0].words.max,
      };
    }
  }

  // --- memory: a fresh kt with the seed chain (streamed redaction on) holding 1,000 streams;
  // 100 ms per token keeps every stream open (~3.3 s) while the client is still opening the rest.
  const MEM_SLOW_MS = 100;
  const memKt = await startKt(ktBin, 'kt-mem', ktSpecs['kt-seed'], o.ktThreads);
  const memBefore = readStatus(memKt.child.pid);
  const memProbe = await probe(`http://127.0.0.1:${memKt.port}/v1/chat/completions`,
                               `${CHAT_MODEL}@fault=slow_tokens=${MEM_SLOW_MS}`, 1000, 1,
                               { warmup: false, headers: auth });
  const memAfter = readStatus(memKt.child.pid);
  if (memProbe.failed > 0) problems.push(`1,000 streams: ${memProbe.failed} failed (${memProbe.errors.join('; ')})`);
  const ktHwm = Object.fromEntries(Object.entries(kts).map(([k, v]) => [k, readStatus(v.child.pid).hwmKb]));
  log(`1,000 streams: peak open ${memProbe.peak_open}, VmHWM ${fmtMb(memAfter.hwmKb)}`);

  const versions = {
    kt: execFileSync(ktBin, ['version'], { encoding: 'utf8' }).trim().split('\n')[0],
    commit: (() => {
      try {
        return execFileSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
      } catch {
        return 'unknown';
      }
    })(),
    nginx: spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: ', ''),
    node: process.version,
  };
  const loadAfter = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  await stopAll();

  // --- targets
  const S = stats;
  const has = (id) => Boolean(S[id]);
  const targets = [];
  const target = (name, value, shown, goal, ok) =>
    targets.push([name, shown, goal, Number.isFinite(value) ? (ok ? 'PASS' : 'MISS') : 'n/a']);
  const noneVsNginxAdded = addedRatio('kt-none', 'nginx');
  target('kt (no policies): added p50 @1 conn vs nginx added', noneVsNginxAdded, fmtRatio(noneVsNginxAdded), '≤ 1.50×', noneVsNginxAdded <= 1.5);
  const noneVsNginxRps = ratio('kt-none', 'nginx', 16, 'rps');
  target('kt (no policies): RPS @16 vs nginx', noneVsNginxRps, fmtPct(noneVsNginxRps), '≥ 80 %', noneVsNginxRps >= 0.8);
  const seedP99 = S['kt-seed'].addedP99;
  target('kt (seed chain): added p99 @1 conn', seedP99, fmtUs(seedP99), '≤ 150 µs', seedP99 <= 150);
  const seedVsNginxRps = ratio('kt-seed', 'nginx', 16, 'rps');
  target('kt (seed chain): RPS @16 vs nginx', seedVsNginxRps, fmtPct(seedVsNginxRps), '≥ 60 %', seedVsNginxRps >= 0.6);
  const noneVsPortkeyRps = has('portkey') ? ratio('kt-none', 'portkey', 16, 'rps') : NaN;
  target('kt (no policies) vs Portkey: RPS @16', noneVsPortkeyRps, fmtRatio(noneVsPortkeyRps), '≥ 20×', noneVsPortkeyRps >= 20);
  const noneVsPortkeyAdded = has('portkey') ? addedRatio('kt-none', 'portkey') : NaN;
  target('kt (no policies) vs Portkey: added p50 @1 conn', noneVsPortkeyAdded, fmtRatio(noneVsPortkeyAdded), '≤ 0.10×', noneVsPortkeyAdded <= 0.1);
  for (const c of [1, 256]) {
    const st = streamStats['kt-pii-stream'][c];
    target(`streaming, PII redaction on, ${c} stream${c > 1 ? 's' : ''}: added TTFT`, st.addedTtft, fmtUs(st.addedTtft), '≤ 300 µs', st.addedTtft <= 300);
    target(`streaming, PII redaction on, ${c} stream${c > 1 ? 's' : ''}: added time per token`, st.addedPerToken, fmtUs(st.addedPerToken), '≤ 5 µs', st.addedPerToken <= 5);
  }
  const memOk = memProbe.peak_open >= 1000 && memProbe.failed === 0;
  target('kt peak RSS (VmHWM) at 1,000 concurrent streams', memOk ? memAfter.hwmKb : NaN, fmtMb(memAfter.hwmKb), '≤ 64 MB', memAfter.hwmKb <= 64 * 1024);

  // --- report
  const stamp = startedAt.toISOString().replace(/\.\d+Z$/, 'Z');
  const md = [];
  md.push(`# kt load benchmark — ${stamp}${o.quick ? ' (quick smoke run)' : ''}`, '');
  md.push(`- ${versions.kt} (commit ${versions.commit}), ${versions.nginx}, Portkey 1.15.2 on Node ${versions.node}, wrk 4.1.0`);
  md.push(`- machine: ${os.cpus().length} cores (${os.cpus()[0].model.trim()}), load average ${loadBefore} before, ${loadAfter} after; client, proxies and upstream share the cores`);
  md.push(`- kt records a decision event for every request on every path; only the seed chain waits for its commit (\`durability: sync\`), the other kt paths use \`durability: async\`
- upstream: one kt-mock (2 threads, journal off, Replicate cold start and token delay 0) for every path`);
  md.push(`- request: POST /v1/chat/completions, ${Buffer.byteLength(chatBody(CHAT_MODEL))}-byte JSON body, keep-alive, reply ≈ ${live[0].replyBytes} bytes; kt: ${o.ktThreads} worker thread${o.ktThreads > 1 ? 's' : ''}, --max-concurrency 4096; nginx: 1 worker, upstream keepalive`);
  md.push(`- each number is the median of ${o.runs} run${o.runs > 1 ? 's' : ''} of ${o.duration} s (wrk -t1 -c1 for latency, -t2 for 16/64 connections) after a ${o.warmup} s warm-up; the paths are measured in interleaved rounds, and "added" and the ratios are taken within each round, then the median`);
  md.push('');
  md.push('## Request/response path');
  md.push('');
  md.push(table(
    ['path', 'p50 @1', 'p99 @1', 'added p50', 'added p99', 'RPS @16', 'RPS @64', 'RPS @16 vs direct', 'errors'],
    paths.map((p) => {
      if (p.skipped) return [p.label, 'skipped', '', '', '', '', '', '', p.skipped];
      const s = S[p.id];
      const direct = p.id === 'direct';
      return [p.label, fmtUs(s.p50), fmtUs(s.p99), direct ? '—' : fmtUs(s.addedP50), direct ? '—' : fmtUs(s.addedP99),
        fmtRps(s.rps16), fmtRps(s.rps64), direct ? '—' : fmtPct(s.rps16VsDirect), String(s.errors)];
    }),
  ));
  md.push('');
  md.push('## Ratios (same run)');
  md.push('');
  const ratioRows = [
    ['kt (no policies) added p50 / nginx added p50', fmtRatio(noneVsNginxAdded)],
    ['kt (seed chain) added p50 / nginx added p50', fmtRatio(addedRatio('kt-seed', 'nginx'))],
    ['kt (no policies) RPS @16 / nginx', fmtPct(noneVsNginxRps)],
    ['kt (seed chain) RPS @16 / nginx', fmtPct(seedVsNginxRps)],
    ['kt (no policies) RPS @64 / nginx', fmtPct(ratio('kt-none', 'nginx', 64, 'rps'))],
    ['kt → Replicate sim RPS @16 / kt (no policies)', fmtPct(ratio('kt-replicate', 'kt-none', 16, 'rps'))],
  ];
  if (has('portkey')) {
    ratioRows.push(['kt (no policies) RPS @16 / Portkey', fmtRatio(noneVsPortkeyRps)]);
    ratioRows.push(['kt (seed chain) RPS @16 / Portkey', fmtRatio(ratio('kt-seed', 'portkey', 16, 'rps'))]);
    ratioRows.push(['kt (no policies) added p50 / Portkey added p50', fmtRatio(noneVsPortkeyAdded)]);
    ratioRows.push(['kt (seed chain) added p50 / Portkey added p50', fmtRatio(addedRatio('kt-seed', 'portkey'))]);
  }
  md.push(table(['comparison', 'value'], ratioRows));
  md.push('');
  md.push('## Streaming');
  md.push('');
  md.push(`Streamed chat completions, ${streamStats.direct[1].words} tokens per answer, ${slowMs[1]} ms per token from kt-mock at 1 stream and ${slowMs[256]} ms at 256 (\`slow_tokens\`); TTFT = request written → first non-empty content chunk; time per token = first → last content chunk ÷ (words − 1); added delay per word = how much later than directly each word arrives (median over the words); kt-mock sends tokens on a fixed schedule (start + n × the delay), as a model generates them; medians over streams, then over ${o.streamReps} interleaved repetition${o.streamReps > 1 ? 's' : ''} (1 stream: ${o.singleStreamRounds} sequential streams each; 256: one round of 256 concurrent streams each), each after an uncounted warm-up round on the same keep-alive connections.`);
  md.push('');
  md.push(table(
    ['path', 'streams', 'TTFT', 'added TTFT', 'time/token', 'added time/token', 'added delay per word',
      'complete & intact'],
    [1, 256].flatMap((c) => streamPaths.map((sp) => {
      const st = streamStats[sp.id][c];
      const direct = sp.id === 'direct';
      return [sp.label, String(c), fmtUs(st.ttft), direct ? '—' : fmtUs(st.addedTtft), fmtUs(st.perToken),
        direct ? '—' : fmtUs(st.addedPerToken), direct ? '—' : fmtUs(st.addedWordDelay),
        `${st.ok}/${st.total}`];
    })),
  ));
  md.push('');
  md.push('## Memory');
  md.push('');
  md.push(`A fresh kt (seed chain, streamed PII redaction, sync audit) held ${memProbe.peak_open} concurrent streams (${memProbe.ok} of 1000 complete, ${MEM_SLOW_MS} ms per token): VmHWM ${fmtMb(memAfter.hwmKb)} (VmRSS at start ${fmtMb(memBefore.rssKb)}). Peak RSS of the load-tested gateways after the run: ${Object.entries(ktHwm).map(([k, v]) => `${k} ${fmtMb(v)}`).join(', ')}.`);
  md.push('');
  md.push('## Targets');
  md.push('');
  md.push(table(['target', 'measured', 'goal', 'result'], targets));
  md.push('');
  if (problems.length) {
    md.push('## Problems');
    md.push('');
    for (const p of problems) md.push(`- ${p}`);
    md.push('');
  }
  const report = md.join('\n');

  const resultsDir = path.join(benchDir, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const date = stamp.slice(0, 10);
  const outFile = o.out ? path.resolve(o.out) : path.join(resultsDir, o.quick ? `${date}.quick.tmp` : `${date}.md`);
  fs.writeFileSync(outFile, report);
  const raw = { options: o, versions, loadBefore, loadAfter, runs, streamRuns, memProbe, memBefore, memAfter, ktHwm, problems };
  fs.writeFileSync(outFile.replace(/(\.md|\.tmp)?$/, o.quick && !o.out ? '.json.tmp' : '.json'), JSON.stringify(raw, null, 1) + '\n');
  process.stdout.write(report + '\n');
  log(`report written to ${path.relative(process.cwd(), outFile)}`);
  fs.rmSync(tmpDir, { recursive: true, force: true });

  if (problems.length) return 1;
  if (o.strict && targets.some((t) => t[3] === 'MISS')) return 3;
  return 0;
}

main().then(
  (code) => process.exit(code),
  async (e) => {
    process.stderr.write(`bench/run: ${e.message}\n`);
    await stopAll();
    if (tmpDir) process.stderr.write(`bench/run: logs kept in ${tmpDir}\n`);
    process.exit(1);
  },
);
