// Shared end-to-end harness: start kt and kt-mock on free ports in a temp dir, wait until they
// answer, and stop them by PID when the test ends (also when it fails).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const KT_BIN = process.env.KT_BIN ?? path.join(ROOT, 'build/kt');
export const KT_MOCK_BIN = process.env.KT_MOCK_BIN ?? path.join(ROOT, 'build/kt-mock');
export const SHARED = path.resolve(ROOT, '../shared');

export function tempDir(prefix = 'kt-e2e-') {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeTemp(dir, name, text) {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

// A free TCP port on 127.0.0.1 (bound, read, released).
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const children = new Set();
function killAll() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* already gone */ }
  }
}
process.on('exit', killAll);

// Spawns a process; output is kept (for assertions and failure reports).
export function startProcess(cmd, args, { env = {}, cwd } = {}) {
  const child = spawn(cmd, args, {
    env: { ...process.env, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const proc = { child, stdout: '', stderr: '', exited: null };
  child.stdout.on('data', (d) => { proc.stdout += d; });
  child.stderr.on('data', (d) => { proc.stderr += d; });
  proc.exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      proc.exited = { code, signal };
      resolve(proc.exited);
    });
  });
  proc.stop = async (signal = 'SIGTERM', timeoutMs = 10000) => {
    if (proc.exited) return proc.exited;
    child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const r = await proc.exitPromise;
    clearTimeout(t);
    return r;
  };
  return proc;
}

export async function waitForHttp(url, { timeoutMs = 15000, proc, okStatus = [200] } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (proc?.exited) {
      throw new Error(`process exited early (${JSON.stringify(proc.exited)}):\n${proc.stderr}\n${proc.stdout}`);
    }
    try {
      const r = await fetch(url);
      if (okStatus.includes(r.status)) return r;
      last = `status ${r.status}`;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${url}: ${last}\n${proc?.stderr ?? ''}`);
}

// Starts `kt gateway run` with the given config text (or path) and extra args.
export async function startGateway({ config, configPath, args = [], env = {}, dir = tempDir() } = {}) {
  const port = await freePort();
  const cfg = configPath ?? writeTemp(dir, 'policy-config.yaml', config);
  const proc = startProcess(KT_BIN, [
    'gateway', 'run', '--listen', `127.0.0.1:${port}`, '--policy-config', cfg,
    '--audit-db', path.join(dir, 'kt-events.db'), '--threads', '2', ...args,
  ], { env, cwd: dir });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/readyz`, { proc, timeoutMs: 60000 });
  return { proc, port, base, dir, configPath: cfg, stop: proc.stop };
}

// Starts kt-mock on free ports; resolves with its API and stream base URLs.
export async function startMockServer(args = []) {
  const proc = startProcess(KT_MOCK_BIN, ['--listen', '127.0.0.1:0', '--stream-listen', '127.0.0.1:0', ...args]);
  const deadline = Date.now() + 15000;
  while (!proc.stdout.includes('\n')) {
    if (proc.exited) throw new Error(`kt-mock exited: ${proc.stderr}`);
    if (Date.now() > deadline) throw new Error(`kt-mock did not start: ${proc.stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const ports = JSON.parse(proc.stdout.split('\n')[0]);
  const base = `http://127.0.0.1:${ports.api}`;
  return {
    proc, ports, base, url: `${base}/v1`, stop: proc.stop,
    async requests(path = '') {
      const r = await fetch(`${base}/_mock/requests?path=${encodeURIComponent(path)}`);
      return (await r.json()).requests;
    },
    async clear() { await fetch(`${base}/_mock/requests`, { method: 'DELETE' }); },
    async fault(path, fault, count = 1) {
      const r = await fetch(`${base}/_mock/faults`, { method: 'POST', body: JSON.stringify({ path, fault, count }) });
      if (r.status !== 200) throw new Error(`fault not queued: ${await r.text()}`);
    },
  };
}
