// The audit trail end to end, against a real kt (issue 6): tampering with the SQLite store is
// refused by its triggers or found by `kt audit verify`; a gateway killed with SIGKILL under load
// (durability: sync) has an event for every request that got its 200; retention prunes through a
// checkpoint and the chain still verifies; no credential reaches the store, the exports, the logs
// or /metrics; two gateways share one PostgreSQL store with one chain each; log_all_access: false
// keeps only non-allow verdicts and errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  KT_BIN, freePort, startGateway, startMockServer, startProcess, tempDir, waitForHttp,
} from './lib/harness.mjs';

const KEY_ENV = 'KT_E2E_AUDIT_KEY';
const GENESIS = '0'.repeat(64);

let mock;
before(async () => { mock = await startMockServer(); });
after(async () => { await mock?.stop(); });

// Runs a command to completion; never throws on a non-zero exit.
function sh(cmd, args, { env = {}, input } = {}) {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
    if (input !== undefined) child.stdin.end(input);
  });
}
const kt = (...args) => sh(KT_BIN, args);
const sqlite = (db, sql) => sh('sqlite3', ['-bail', db], { input: sql });

function config({ chain = '[audit-logger]', logger = '{immutable: true, retention_days: 365, log_all_access: true}', audit = '', extraTargets = '' } = {}) {
  return `
pack: {name: audit-e2e, version: 1.0.0, enabled: true}
policies:
  chain: ${chain}
policy:
  audit-logger: ${logger}
providers:
  targets:
    - id: mock
      provider: openai
      model: gpt-4o-mini
      base_url: ${mock.url}
      secret_key_ref: {env: ${KEY_ENV}}
${extraTargets}
  fallback: {enabled: false}
${audit}
`;
}

async function chat(gw, { rid, content = 'Say hello', model = 'gpt-4o-mini', headers = {}, stream = false } = {}) {
  const r = await fetch(`${gw.base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(rid ? { 'x-request-id': rid } : {}), ...headers },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content }] }),
  });
  const text = await r.text();
  return { status: r.status, text, rid: r.headers.get('x-request-id') };
}

// Every stored event (kt events export, oldest first).
async function exportEvents(db) {
  const r = await kt('events', 'export', '--db', db, '--since', '3650d', '--format', 'json');
  assert.equal(r.code, 0, r.stderr);
  const parsed = JSON.parse(r.stdout);
  return Array.isArray(parsed) ? parsed : parsed.events;
}

async function verify(args) {
  const r = await kt('audit', 'verify', ...args, '--json');
  return { code: r.code, report: r.stdout ? JSON.parse(r.stdout) : null, stderr: r.stderr };
}

// ---------------------------------------------------------------------------------------------
// 1. Tampering
// ---------------------------------------------------------------------------------------------

test('tampering: triggers refuse UPDATE/DELETE; an edited, deleted or reordered event is named by kt audit verify', async () => {
  const dir = tempDir('kt-audit-tamper-');
  const db = path.join(dir, 'kt-events.db');
  const gw = await startGateway({ config: config(), dir,
    env: { [KEY_ENV]: 'sk-e2e-audit-0001' }, args: ['--gateway-id', 'gw-tamper'] });
  for (let i = 1; i <= 6; i++) {
    // Event 4 records an error: a model no target serves (404).
    const r = await chat(gw, { rid: `tamper-${i}`, content: `hello ${i}`, model: i === 4 ? 'no-such-model' : 'gpt-4o-mini' });
    assert.equal(r.status, i === 4 ? 404 : 200, r.text);
  }
  assert.equal((await gw.stop()).code, 0);
  assert.equal((await sqlite(db, 'PRAGMA wal_checkpoint(TRUNCATE);')).code, 0);

  const clean = await kt('audit', 'verify', '--db', db);
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /^OK 6 events verified in 1 chain/);

  const rows = (await sqlite(db, 'SELECT seq, id FROM events ORDER BY seq;')).stdout.trim().split('\n')
    .map((l) => { const [seq, id] = l.split('|'); return { seq: Number(seq), id }; });
  assert.deepEqual(rows.map((r) => r.seq), [1, 2, 3, 4, 5, 6]);
  const idAt = (seq) => rows.find((r) => r.seq === seq).id;

  // (a) The triggers refuse edits and deletes, also of checkpoints.
  for (const sql of [
    'UPDATE events SET status = 200 WHERE seq = 4;',
    'DELETE FROM events WHERE seq = 2;',
    'DELETE FROM events;',
    "INSERT INTO checkpoints VALUES('gw-tamper', 3, 'ab', 3, 0, 0);",
  ]) {
    const r = await sqlite(db, sql);
    assert.notEqual(r.code, 0, `${sql} was accepted`);
    assert.match(r.stderr, /kt audit: /, r.stderr);
  }
  assert.equal((await kt('audit', 'verify', '--db', db)).code, 0, 'refused edits left the chain intact');

  // Each tamper works on its own copy, with the triggers dropped by hand first.
  const dropTriggers = 'DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;';
  async function tampered(name, sql) {
    const copy = path.join(dir, `${name}.db`);
    copyFileSync(db, copy);
    const r = await sqlite(copy, dropTriggers + sql);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    const v = await verify(['--db', copy]);
    const text = await kt('audit', 'verify', '--db', copy);
    return { ...v, text: text.stdout, textCode: text.code };
  }
  function assertBreak(v, { position, id, reason, verified = position - 1 }) {
    assert.equal(v.code, 2, JSON.stringify(v));
    assert.equal(v.textCode, 2);
    assert.equal(v.report.ok, false);
    assert.equal(v.report.breaks.length, 1);
    const b = v.report.breaks[0];
    assert.equal(b.gateway_id, 'gw-tamper');
    assert.equal(b.position, position, JSON.stringify(b));
    assert.equal(b.event_id, id);
    assert.equal(b.reason, reason, JSON.stringify(b));
    assert.equal(v.report.verified, verified, 'the events before the break still verify');
    assert.ok(v.text.includes(`position ${position}`) && v.text.includes(id) && v.text.includes(reason), v.text);
  }

  // (b) One byte of a stored event changed: its hash no longer matches.
  assertBreak(await tampered('byte', "UPDATE events SET canonical = replace(canonical, '\"hello 3\"', '\"hellO 3\"') WHERE seq = 3;"),
    { position: 3, id: idAt(3), reason: 'hash mismatch' });
  // (b') An indexed column rewritten on its own (the 404 now reads as a 200).
  const col = await tampered('column', 'UPDATE events SET status = 200 WHERE seq = 4;');
  assertBreak(col, { position: 4, id: idAt(4), reason: 'hash mismatch' });
  assert.match(col.report.breaks[0].detail, /status/);
  // (b'') The event rewritten and re-hashed by the tamperer: the next event's prev_hash exposes it.
  {
    const copy = path.join(dir, 'rehash.db');
    copyFileSync(db, copy);
    const canonical = (await sqlite(copy, 'SELECT canonical FROM events WHERE seq = 2;')).stdout.replace(/\n$/, '');
    const prev = (await sqlite(copy, 'SELECT prev_hash FROM events WHERE seq = 2;')).stdout.trim();
    const forged = canonical.replace('"hello 2"', '"HELLO 2"');
    assert.notEqual(forged, canonical);
    const hash = createHash('sha256').update(prev + forged).digest('hex');
    const esc = (s) => s.replaceAll("'", "''");
    const r = await sqlite(copy, `${dropTriggers} UPDATE events SET canonical = '${esc(forged)}', hash = '${hash}' WHERE seq = 2;`);
    assert.equal(r.code, 0, r.stderr);
    const v = await verify(['--db', copy]);
    const text = await kt('audit', 'verify', '--db', copy);
    assertBreak({ ...v, text: text.stdout, textCode: text.code }, { position: 3, id: idAt(3), reason: 'prev_hash mismatch' });
  }
  // (c) A row deleted: its successor's predecessor is missing.
  assertBreak(await tampered('delete', 'DELETE FROM events WHERE seq = 3;'),
    { position: 4, id: idAt(4), reason: 'missing predecessor', verified: 2 });
  // (d) Two rows reordered: their chain positions swapped…
  assertBreak(await tampered('swap-seq', 'UPDATE events SET seq = -1 WHERE seq = 2; UPDATE events SET seq = 2 WHERE seq = 3; UPDATE events SET seq = 3 WHERE seq = -1;'),
    { position: 2, id: idAt(3), reason: 'reordered' });
  // …or their stored contents swapped (each row keeps its position, the events move).
  const swapContents = `
    CREATE TEMP TABLE a AS SELECT * FROM events WHERE seq = 2;
    CREATE TEMP TABLE b AS SELECT * FROM events WHERE seq = 3;
    UPDATE events SET id = 'tmp' WHERE seq = 2;
    UPDATE events SET (id, ts_ms, verdict, reason_code, target, model, status, prev_hash, hash, canonical) =
      (SELECT id, ts_ms, verdict, reason_code, target, model, status, prev_hash, hash, canonical FROM a) WHERE seq = 3;
    UPDATE events SET (id, ts_ms, verdict, reason_code, target, model, status, prev_hash, hash, canonical) =
      (SELECT id, ts_ms, verdict, reason_code, target, model, status, prev_hash, hash, canonical FROM b) WHERE seq = 2;`;
  assertBreak(await tampered('swap-contents', swapContents), { position: 2, id: idAt(3), reason: 'reordered' });
  // …or only their storage order (what `kt events tail` lists) swapped.
  assertBreak(await tampered('swap-pos', `
    CREATE TEMP TABLE p AS SELECT seq, pos FROM events WHERE seq IN (2, 3);
    UPDATE events SET pos = -1 WHERE seq = 2;
    UPDATE events SET pos = (SELECT pos FROM p WHERE seq = 2) WHERE seq = 3;
    UPDATE events SET pos = (SELECT pos FROM p WHERE seq = 3) WHERE seq = 2;`),
  { position: 3, id: idAt(3), reason: 'reordered' });

  rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// 2. Crash under load
// ---------------------------------------------------------------------------------------------

// sync: each event is committed to the WAL before its response (synchronous=NORMAL) — enough to
// survive the process dying; fsync: also fsynced (synchronous=FULL). Both must pass.
for (const durability of ['sync', 'fsync']) {
test(`kill -9 under concurrent load (durability: ${durability}): every request answered 200 has its event; the chain verifies`, async (t) => {
  const dir = tempDir('kt-audit-crash-');
  const db = path.join(dir, 'kt-events.db');
  const cfg = config({ audit: `audit: {durability: ${durability}}` });
  const env = { [KEY_ENV]: 'sk-e2e-audit-0002' };
  const gw = await startGateway({ config: cfg, dir, env, args: ['--gateway-id', 'gw-crash'] });
  const answered = [];
  const failed = [];
  let stop = false;
  let n = 0;
  const loop = async (worker) => {
    while (!stop) {
      const rid = `crash-${worker}-${n++}`;
      try {
        const r = await chat(gw, { rid, content: `load ${rid}` });
        if (r.status === 200) {
          assert.equal(r.rid, rid);
          answered.push(rid);
        } else {
          failed.push(`${rid}: ${r.status}`);
        }
      } catch {
        // The connection died with the gateway: this request got no answer.
      }
    }
  };
  const loops = Array.from({ length: 8 }, (_, i) => loop(i));
  await new Promise((r) => setTimeout(r, 2500));
  gw.proc.child.kill('SIGKILL');
  const exit = await gw.proc.exitPromise;
  stop = true;
  await Promise.all(loops);
  assert.equal(exit.signal, 'SIGKILL');
  assert.deepEqual(failed, []);
  assert.ok(answered.length >= 20, `only ${answered.length} requests were answered before the kill`);
  t.diagnostic(`${answered.length} requests answered 200 before SIGKILL, ${n - answered.length} cut off or refused by the dead gateway`);

  // The store as the dead process left it.
  const afterKill = await kt('audit', 'verify', '--db', db);
  assert.equal(afterKill.code, 0, afterKill.stdout + afterKill.stderr);
  let stored = new Set((await exportEvents(db)).map((e) => e.request_id));
  const missing = answered.filter((rid) => !stored.has(rid));
  t.diagnostic(`${stored.size} events stored (answered ones plus requests whose answer the kill cut off)`);
  assert.deepEqual(missing, [], `${missing.length} of ${answered.length} answered requests have no event`);

  // Restarted on the same store, the gateway continues the same chain.
  const gw2 = await startGateway({ config: cfg, dir, env, args: ['--gateway-id', 'gw-crash'] });
  for (let i = 0; i < 3; i++) assert.equal((await chat(gw2, { rid: `crash-after-${i}` })).status, 200);
  assert.equal((await gw2.stop()).code, 0);
  const v = await verify(['--db', db]);
  assert.equal(v.code, 0, JSON.stringify(v.report));
  assert.equal(v.report.chains, 1);
  const events = await exportEvents(db);
  stored = new Set(events.map((e) => e.request_id));
  for (const rid of [...answered, 'crash-after-0', 'crash-after-2']) assert.ok(stored.has(rid), rid);
  assert.equal(v.report.verified, events.length);
  rmSync(dir, { recursive: true, force: true });
});
}

// ---------------------------------------------------------------------------------------------
// 3. Retention
// ---------------------------------------------------------------------------------------------

// Appends `count` events to `gw`'s chain the way an earlier gateway would have written them
// (sqlite3 INSERT: the store is append-only, not closed), `ageDays` ago. Returns the new head.
function forgedEvents(gwId, head, count, ageDays) {
  const rows = [];
  let { seq, hash } = head;
  for (let i = 0; i < count; i++) {
    seq += 1;
    const tsMs = Date.now() - ageDays * 86400000 + i * 1000;
    const ev = {
      id: `evt_OLD${gwId.toUpperCase().replace(/[^A-Z0-9]/g, '')}${String(seq).padStart(6, '0')}`,
      timestamp: new Date(tsMs).toISOString(),
      request_id: `old-${gwId}-${seq}`,
      gateway_id: gwId,
      pack: { name: 'audit-e2e', version: '1.0.0', enabled: true, config_hash: 'old' },
      route: '/v1/chat/completions', model: 'gpt-4o-mini', stream: false, verdict: 'allow',
      reason_code: '', status: 200, target: 'mock', degraded: false, error: '', policies: [],
      attempts: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      latency_ms: 1.5, client: { ip: '127.0.0.1' }, content: null, seq, prev_hash: hash,
    };
    const canonical = JSON.stringify(ev);
    const h = createHash('sha256').update(hash + canonical).digest('hex');
    rows.push(`INSERT INTO events(gateway_id, seq, id, ts_ms, verdict, reason_code, target, model, status, prev_hash, hash, canonical) VALUES('${gwId}', ${seq}, '${ev.id}', ${tsMs}, 'allow', '', 'mock', 'gpt-4o-mini', 200, '${hash}', '${h}', '${canonical.replaceAll("'", "''")}');`);
    hash = h;
  }
  return { sql: rows.join('\n'), head: { seq, hash } };
}

test('retention: events older than retention_days are pruned at start through a checkpoint; the chain still verifies', async () => {
  const dir = tempDir('kt-audit-retention-');
  const db = path.join(dir, 'kt-events.db');
  const env = { [KEY_ENV]: 'sk-e2e-audit-0003' };
  const cfg = config({ logger: '{immutable: true, retention_days: 30, log_all_access: true}' });
  // A first run creates the store (its schema and triggers) and leaves the chain empty.
  const gw0 = await startGateway({ config: cfg, dir, env, args: ['--gateway-id', 'gw-ret'] });
  assert.equal((await gw0.stop()).code, 0);

  // History: gw-ret wrote 5 events 400 days ago; a retired replica wrote 3 then; another
  // replica wrote 2 old events and 1 recent one.
  const a = forgedEvents('gw-ret', { seq: 0, hash: GENESIS }, 5, 400);
  const b = forgedEvents('gw-retired', { seq: 0, hash: GENESIS }, 3, 400);
  const c1 = forgedEvents('gw-mixed', { seq: 0, hash: GENESIS }, 2, 45);
  const c2 = forgedEvents('gw-mixed', c1.head, 1, 1);
  const ins = await sqlite(db, [a.sql, b.sql, c1.sql, c2.sql].join('\n'));
  assert.equal(ins.code, 0, ins.stderr);
  const before = await verify(['--db', db]);
  assert.equal(before.code, 0, JSON.stringify(before.report));
  assert.equal(before.report.verified, 11);

  // Restarted with retention_days: 30, the writer prunes at start, then continues gw-ret's chain.
  const gw = await startGateway({ config: cfg, dir, env, args: ['--gateway-id', 'gw-ret', '--log-level', 'info'] });
  for (let i = 0; i < 3; i++) assert.equal((await chat(gw, { rid: `ret-${i}` })).status, 200);
  assert.equal((await gw.stop()).code, 0);
  assert.match(gw.proc.stdout + gw.proc.stderr, /pruned 10 events older than 30 days \(3 checkpoints\)/);

  const cps = (await sqlite(db, 'SELECT gateway_id, seq, hash, pruned_count FROM checkpoints ORDER BY gateway_id;'))
    .stdout.trim().split('\n').map((l) => l.split('|'));
  assert.deepEqual(cps, [
    ['gw-mixed', '2', c1.head.hash, '2'],
    ['gw-ret', '5', a.head.hash, '5'],
    ['gw-retired', '3', b.head.hash, '3'],
  ]);
  const left = (await sqlite(db, 'SELECT gateway_id, seq FROM events ORDER BY gateway_id, seq;')).stdout.trim();
  assert.equal(left, ['gw-mixed|3', 'gw-ret|6', 'gw-ret|7', 'gw-ret|8'].join('\n'));
  const events = await exportEvents(db);
  assert.deepEqual(events.filter((e) => e.gateway_id === 'gw-ret').map((e) => e.prev_hash)[0], a.head.hash,
    'the first event after the checkpoint links to the last pruned one');

  const v = await verify(['--db', db]);
  assert.equal(v.code, 0, JSON.stringify(v.report));
  assert.equal(v.report.verified, 4);
  assert.equal(v.report.chains, 3);
  // The checkpoint is as immutable as the events.
  const r = await sqlite(db, 'DELETE FROM checkpoints;');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /append-only/);
  // A chain whose first remaining event was removed after pruning is still caught.
  const copy = path.join(dir, 'cut.db');
  copyFileSync(db, copy);
  assert.equal((await sqlite(copy, "DROP TRIGGER events_no_delete; DELETE FROM events WHERE gateway_id = 'gw-ret' AND seq = 6;")).code, 0);
  const cut = await verify(['--db', copy]);
  assert.equal(cut.code, 2);
  assert.equal(cut.report.breaks[0].reason, 'missing predecessor');
  assert.equal(cut.report.breaks[0].position, 7);
  rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// 4. No secrets in the audit trail
// ---------------------------------------------------------------------------------------------

test('no secret (provider key, gateway token, client Authorization) reaches the store, exports, logs or /metrics', async () => {
  const dir = tempDir('kt-audit-secrets-');
  const db = path.join(dir, 'kt-events.db');
  const rnd = randomBytes(8).toString('hex');
  const providerKey = `sk-test-SECRET-${rnd}-provider`;
  const gatewayToken = `kt-gw-token-SECRET-${rnd}`;
  const wrongToken = `wrong-client-token-SECRET-${rnd}`;
  const cookie = `session-SECRET-${rnd}`;
  const secrets = [providerKey, gatewayToken, wrongToken, cookie, `SECRET-${rnd}`];
  const gw = await startGateway({
    config: config({ chain: '[pii-detector, audit-logger]' }), dir,
    env: { [KEY_ENV]: providerKey },
    args: ['--gateway-id', 'gw-secrets', '--api-token', gatewayToken, '--log-level', 'debug'],
  });
  let metrics = '';
  let adminText = '';
  try {
    const auth = { authorization: `Bearer ${gatewayToken}`, cookie, 'x-api-key': cookie };
    assert.equal((await chat(gw, { rid: 'sec-ok', headers: auth })).status, 200);
    assert.equal((await chat(gw, { rid: 'sec-stream', headers: auth, stream: true })).status, 200);
    assert.equal((await chat(gw, { rid: 'sec-401', headers: { authorization: `Bearer ${wrongToken}` } })).status, 401);
    assert.equal((await chat(gw, { rid: 'sec-pii', headers: auth, content: 'mail me at carol@example.net' })).status, 200);
    await mock.fault('/v1/chat/completions', 'status=500', 1);
    assert.equal((await chat(gw, { rid: 'sec-502', headers: auth })).status, 502);
    assert.equal((await chat(gw, { rid: 'sec-404', headers: auth, model: 'nope' })).status, 404);
    // A client that pastes the provider key and the gateway token (given as a flag) into its
    // prompt: the event keeps [SECRET] instead (the answer, echoing them, too).
    const paste = await chat(gw, { rid: 'sec-paste', headers: auth, content: `my key is ${providerKey} and ${gatewayToken} ok` });
    assert.equal(paste.status, 200);
    assert.ok(paste.text.includes(gatewayToken), 'kt-mock echoed the pasted values');
    // The upstream really got the key (so the test would notice it elsewhere).
    const seen = await mock.requests('/v1/chat/completions');
    assert.ok(seen.some((s) => s.headers.authorization === `Bearer ${providerKey}`));
    const m = await fetch(`${gw.base}/metrics`, { headers: { authorization: `Bearer ${gatewayToken}` } });
    assert.equal(m.status, 200);
    metrics = await m.text();
    for (const p of ['/keeptrusts/config', '/keeptrusts/events?since=1h&limit=100', '/health']) {
      const r = await fetch(`${gw.base}${p}`, { headers: { authorization: `Bearer ${gatewayToken}` } });
      assert.equal(r.status, 200, p);
      adminText += await r.text();
    }
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }

  const events = await exportEvents(db);
  const rids = events.map((e) => e.request_id);
  for (const rid of ['sec-ok', 'sec-stream', 'sec-pii', 'sec-502', 'sec-404', 'sec-paste']) assert.ok(rids.includes(rid), rid);
  const pasted = events.find((e) => e.request_id === 'sec-paste');
  assert.match(JSON.stringify(pasted.content.messages), /my key is \[SECRET\] and \[SECRET\] ok/);
  assert.match(pasted.content.answer, /\[SECRET\] and \[SECRET\] ok/);
  const csv = await kt('events', 'export', '--db', db, '--since', '1h', '--format', 'csv');
  const tail = await kt('events', 'tail', '--db', db, '--json', '--limit', '100');
  const verifyOut = await kt('audit', 'verify', '--db', db, '--json');
  const files = ['kt-events.db', 'kt-events.db-wal', 'kt-events.db-shm'].map((f) => path.join(dir, f)).filter(existsSync);
  const haystacks = {
    'sqlite file bytes': Buffer.concat(files.map((f) => readFileSync(f))).toString('latin1'),
    'events export json': JSON.stringify(events),
    'events export csv': csv.stdout,
    'events tail': tail.stdout,
    'audit verify': verifyOut.stdout,
    'gateway stdout': gw.proc.stdout,
    'gateway stderr': gw.proc.stderr,
    '/metrics': metrics,
    'admin routes': adminText,
  };
  assert.ok(haystacks['gateway stdout'].length + haystacks['gateway stderr'].length > 0, 'the gateway logged');
  for (const [where, text] of Object.entries(haystacks)) {
    for (const s of secrets) assert.ok(!text.includes(s), `${s} found in ${where}`);
  }
  rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// 5. PostgreSQL: two gateways, one store, two chains
// ---------------------------------------------------------------------------------------------

const PG_BIN = '/usr/lib/postgresql/15/bin';
const havePg = existsSync(`${PG_BIN}/initdb`) && existsSync(`${PG_BIN}/pg_ctl`);

test('PostgreSQL: two gateways write concurrently, each its own chain; kt audit verify --postgres passes',
  { skip: havePg ? false : `PostgreSQL 15 binaries not found in ${PG_BIN} (scripts/bootstrap installs them)` }, async () => {
    const dir = tempDir('kt-audit-pg-');
    const pgDir = path.join(dir, 'pg');
    mkdirSync(pgDir);
    const asRoot = process.getuid() === 0;
    const run = (bin, args) => {
      const full = [`${PG_BIN}/${bin}`, ...args];
      return asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', ...full], { stdio: 'pipe' })
        : execFileSync(full[0], full.slice(1), { stdio: 'pipe' });
    };
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
      chownSync(dir, uid, gid);
      chownSync(pgDir, uid, gid);
    }
    const port = await freePort();
    run('initdb', ['-D', `${pgDir}/data`, '-A', 'trust', '-U', 'postgres']);
    run('pg_ctl', ['-D', `${pgDir}/data`, '-l', `${pgDir}/server.log`, '-w', '-t', '60',
      '-o', `-p ${port} -k ${pgDir} -c listen_addresses='' -c fsync=off`, 'start']);
    const url = `host=${pgDir} port=${port} user=postgres dbname=postgres`;
    const psql = (sql) => sh('psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', url, '-c', sql]);
    const gws = [];
    for (const id of ['gw-pg-a', 'gw-pg-b']) mkdirSync(path.join(dir, id));
    try {
      const cfg = config({ audit: 'audit: {store: postgres, url_env: KT_E2E_PG_URL, durability: sync}' });
      const env = { [KEY_ENV]: 'sk-e2e-audit-0005', KT_E2E_PG_URL: url };
      for (const id of ['gw-pg-a', 'gw-pg-b']) {
        gws.push(await startGateway({ config: cfg, dir: path.join(dir, id), env, args: ['--gateway-id', id] }));
      }
      const ok = { 'gw-pg-a': [], 'gw-pg-b': [] };
      // 4 concurrent loops per gateway, 15 requests each.
      await Promise.all(gws.flatMap((g, gi) => Array.from({ length: 4 }, async (_, w) => {
        const id = gi === 0 ? 'gw-pg-a' : 'gw-pg-b';
        for (let i = 0; i < 15; i++) {
          const rid = `${id}-${w}-${i}`;
          const r = await chat(g, { rid });
          assert.equal(r.status, 200, r.text);
          ok[id].push(rid);
        }
      })));
      for (const g of gws) assert.equal((await g.stop()).code, 0);

      const v = await verify(['--postgres', url]);
      assert.equal(v.code, 0, JSON.stringify(v));
      assert.equal(v.report.chains, 2);
      assert.equal(v.report.verified, 120);
      const counts = (await psql('SELECT gateway_id, count(*), min(seq), max(seq) FROM kt_events GROUP BY 1 ORDER BY 1')).stdout.trim();
      assert.equal(counts, 'gw-pg-a|60|1|60\ngw-pg-b|60|1|60');
      for (const id of Object.keys(ok)) {
        const rids = (await psql(`SELECT canonical::json->>'request_id' FROM kt_events WHERE gateway_id = '${id}'`)).stdout.trim().split('\n');
        assert.deepEqual(rids.sort(), ok[id].sort());
      }
      // The triggers refuse edits there too; an edit made anyway is found.
      const upd = await psql("UPDATE kt_events SET verdict = 'block' WHERE seq = 7");
      assert.notEqual(upd.code, 0);
      assert.match(upd.stderr, /append-only/);
      const t = await psql("ALTER TABLE kt_events DISABLE TRIGGER kt_events_guard; UPDATE kt_events SET verdict = 'block' WHERE gateway_id = 'gw-pg-b' AND seq = 7");
      assert.equal(t.code, 0, t.stderr);
      const broken = await verify(['--postgres', url]);
      assert.equal(broken.code, 2);
      assert.equal(broken.report.breaks.length, 1);
      assert.equal(broken.report.breaks[0].gateway_id, 'gw-pg-b');
      assert.equal(broken.report.breaks[0].position, 7);
    } finally {
      for (const g of gws) await g.stop();
      try { run('pg_ctl', ['-D', `${pgDir}/data`, '-m', 'immediate', '-w', 'stop']); } catch { /* not running */ }
      rmSync(dir, { recursive: true, force: true });
    }
  });

// ---------------------------------------------------------------------------------------------
// 6. log_all_access: false
// ---------------------------------------------------------------------------------------------

test('log_all_access: false records only non-allow verdicts and errors', async () => {
  const dir = tempDir('kt-audit-lla-');
  const db = path.join(dir, 'kt-events.db');
  const gw = await startGateway({
    config: config({
      chain: '[pii-detector, audit-logger]',
      logger: '{immutable: true, retention_days: 365, log_all_access: false}',
    }),
    dir, env: { [KEY_ENV]: 'sk-e2e-audit-0006' }, args: ['--gateway-id', 'gw-lla'],
  });
  try {
    assert.equal((await chat(gw, { rid: 'lla-allow-1' })).status, 200);
    assert.equal((await chat(gw, { rid: 'lla-allow-2', stream: true })).status, 200);
    assert.equal((await chat(gw, { rid: 'lla-redact', content: 'mail me at bob@example.org' })).status, 200);
    assert.equal((await chat(gw, { rid: 'lla-404', model: 'no-such-model' })).status, 404);
    await mock.fault('/v1/chat/completions', 'status=500', 1);
    assert.equal((await chat(gw, { rid: 'lla-502' })).status, 502);
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
  const events = await exportEvents(db);
  assert.deepEqual(events.map((e) => [e.request_id, e.verdict, e.status]), [
    ['lla-redact', 'redact', 200],
    ['lla-404', 'allow', 404],
    ['lla-502', 'allow', 502],
  ]);
  assert.equal((await kt('audit', 'verify', '--db', db)).code, 0);
  rmSync(dir, { recursive: true, force: true });
});

test('the store path: audit.path when --audit-db is not given, --audit-db over audit.path', async () => {
  const dir = tempDir('kt-e2e-audit-path-');
  const fromConfig = path.join(dir, 'from-config.db');
  const fromFlag = path.join(dir, 'from-flag.db');
  const cfgPath = path.join(dir, 'policy-config.yaml');
  writeFileSync(cfgPath, config({ audit: `audit: {store: sqlite, path: ${fromConfig}}` }));
  const env = { [KEY_ENV]: 'sk-audit-path' };
  for (const [args, expected, other] of [[[], fromConfig, fromFlag], [['--audit-db', fromFlag], fromFlag, null]]) {
    const port = await freePort();
    const proc = startProcess(KT_BIN, ['gateway', 'run', '--listen', `127.0.0.1:${port}`,
      '--policy-config', cfgPath, '--threads', '1', ...args], { env, cwd: dir });
    const gw = { base: `http://127.0.0.1:${port}` };
    try {
      await waitForHttp(`${gw.base}/readyz`, { proc, timeoutMs: 60000 });
      const rid = `path-${args.length}`;
      assert.equal((await chat(gw, { rid })).status, 200);
      await proc.stop('SIGTERM');
      const r = await kt('events', 'export', '--db', expected, '--since', '1h', '--format', 'json');
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.includes(rid), `event ${rid} in ${expected}`);
      if (other) assert.ok(!existsSync(other), `${other} not created`);
      assert.ok(!existsSync(path.join(dir, 'kt-events.db')), 'no store at the default path');
    } finally {
      await proc.stop('SIGKILL');
    }
  }
});
