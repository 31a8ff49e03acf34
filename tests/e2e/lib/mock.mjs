// Starts kt-mock (the OpenAI + Replicate simulator) on free ports and gives tests its URLs plus
// helpers to read the request journal and queue faults. See tools/mock/README.md.
import { KT_MOCK_BIN, startProcess } from './harness.mjs';

// Options map to flags: { threads, tokenDelayMs, coldStartMs, requireToken, syncQuirk, args }.
export async function startMock(opts = {}) {
  const args = ['--listen', '127.0.0.1:0', '--stream-listen', '127.0.0.1:0',
    '--threads', String(opts.threads ?? 2)];
  if (opts.tokenDelayMs !== undefined) args.push('--token-delay-ms', String(opts.tokenDelayMs));
  if (opts.coldStartMs !== undefined) args.push('--cold-start-ms', String(opts.coldStartMs));
  if (opts.requireToken) args.push('--require-token', opts.requireToken);
  if (opts.syncQuirk !== undefined) args.push('--sync-quirk', opts.syncQuirk ? 'on' : 'off');
  args.push(...(opts.args ?? []));
  const proc = startProcess(KT_MOCK_BIN, args);
  const ports = await new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`kt-mock did not start:\n${proc.stderr}`)), 10000);
    const poll = setInterval(() => {
      const line = proc.stdout.split('\n').find((l) => l.startsWith('{'));
      if (line || proc.exited) {
        clearInterval(poll);
        clearTimeout(deadline);
        if (line) resolve(JSON.parse(line));
        else reject(new Error(`kt-mock exited (${JSON.stringify(proc.exited)}):\n${proc.stderr}`));
      }
    }, 10);
  });
  const base = `http://127.0.0.1:${ports.api}`;
  const mock = {
    proc,
    ports,
    base,                                   // API origin
    openaiBase: `${base}/v1`,               // for new OpenAI({ baseURL })
    replicateBase: `${base}/v1`,            // for new Replicate({ baseUrl })
    streamBase: `http://127.0.0.1:${ports.stream}`,
    stop: () => proc.stop(),
    // The journal, oldest first; `path` filters by path prefix.
    async requests(path = '') {
      const r = await fetch(`${base}/_mock/requests?path=${encodeURIComponent(path)}`);
      return (await r.json()).requests;
    },
    async clearRequests() {
      await fetch(`${base}/_mock/requests`, { method: 'DELETE' });
    },
    // Queues `fault` (spec string) for the next `count` requests whose path matches `path`
    // (exact, or a prefix ending in '*').
    async queueFault(path, fault, count = 1) {
      const r = await fetch(`${base}/_mock/faults`, {
        method: 'POST',
        body: JSON.stringify({ path, fault, count }),
      });
      if (!r.ok) throw new Error(`queueFault failed: ${r.status} ${await r.text()}`);
    },
    async clearFaults() {
      await fetch(`${base}/_mock/faults`, { method: 'DELETE' });
    },
    async prediction(id) {
      const r = await fetch(`${base}/_mock/predictions/${id}`);
      return r.json();
    },
  };
  return mock;
}
