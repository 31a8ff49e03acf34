// Streaming probe for bench/run: opens N concurrent streamed chat completions against one URL,
// R rounds after one warm-up round, and measures per stream the time to first token (request
// written -> first SSE chunk with non-empty delta.content) and the time per token (first -> last
// content chunk, divided by the answer's words minus one; words, not chunks, so a proxy that
// coalesces chunks is not credited for it). Also, per word of the answer, when it arrived
// (request written -> the chunk that carried its first character; median over streams), so a
// caller can compare each word's arrival with another path's: a gateway that holds words back
// delays every word, which neither TTFT nor the first-to-last rate shows. Prints one JSON
// object on stdout.
//
// usage: node bench/stream_probe.mjs --url http://127.0.0.1:P/v1/chat/completions --model M
//          --content TEXT [--expect TEXT] [--streams N] [--rounds R] [--header 'k: v']...
//          [--timeout-ms MS] [--no-warmup]
import http from 'node:http';

function parseArgs(argv) {
  const o = { streams: 1, rounds: 10, headers: {}, timeoutMs: 60000, warmup: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--url') o.url = next();
    else if (a === '--model') o.model = next();
    else if (a === '--content') o.content = next();
    else if (a === '--expect') o.expect = next();
    else if (a === '--streams') o.streams = Number(next());
    else if (a === '--rounds') o.rounds = Number(next());
    else if (a === '--timeout-ms') o.timeoutMs = Number(next());
    else if (a === '--no-warmup') o.warmup = false;
    else if (a === '--header') {
      const h = next();
      const colon = h.indexOf(':');
      if (colon <= 0) throw new Error(`--header must be 'name: value', got '${h}'`);
      o.headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
    } else throw new Error(`unknown argument '${a}'`);
  }
  if (!o.url || !o.model || !o.content) throw new Error('--url, --model and --content are required');
  for (const k of ['streams', 'rounds', 'timeoutMs']) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`--${k} must be a positive integer`);
  }
  return o;
}

const nowUs = () => Number(process.hrtime.bigint()) / 1000;

// One streamed request; resolves to {ok, ttftUs, perTokenUs, words, text} or {ok:false, error}.
function oneStream(opts, agent, state) {
  const body = JSON.stringify({
    model: opts.model,
    stream: true,
    messages: [{ role: 'user', content: opts.content }],
  });
  const url = new URL(opts.url);
  return new Promise((resolve) => {
    let settled = false;
    let open = false;
    const finish = (result) => {
      if (settled) return;
      settled = true;
      if (open) state.open--;
      clearTimeout(timer);
      resolve(result);
    };
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...opts.headers,
        },
      },
      (res) => {
        open = true;
        state.open++;
        state.peakOpen = Math.max(state.peakOpen, state.open);
        if (res.statusCode !== 200) {
          res.resume();
          finish({ ok: false, error: `HTTP ${res.statusCode}` });
          return;
        }
        res.setEncoding('utf8');
        let buf = '';
        let text = '';
        let first = 0;
        let last = 0;
        let done = false;
        const wordAt = [];  // per word: arrival of the chunk with its first character
        let inWord = false;
        res.on('data', (chunk) => {
          const t = nowUs();
          buf += chunk;
          let sep;
          while ((sep = buf.indexOf('\n\n')) >= 0) {
            const event = buf.slice(0, sep);
            buf = buf.slice(sep + 2);
            for (const line of event.split('\n')) {
              if (!line.startsWith('data:')) continue;
              const data = line.slice(5).trim();
              if (data === '[DONE]') {
                done = true;
                continue;
              }
              let content;
              try {
                content = JSON.parse(data).choices?.[0]?.delta?.content;
              } catch {
                finish({ ok: false, error: `bad SSE data: ${data.slice(0, 80)}` });
                return;
              }
              if (typeof content === 'string' && content.length > 0) {
                if (!first) first = t;
                last = t;
                text += content;
                for (const ch of content) {
                  const space = /\s/.test(ch);
                  if (!space && !inWord) wordAt.push(t - start);
                  inWord = !space;
                }
              }
            }
          }
        });
        res.on('end', () => {
          if (!done) return finish({ ok: false, error: 'stream ended without [DONE]' });
          if (!first) return finish({ ok: false, error: 'no content chunk' });
          const words = text.trim().split(/\s+/).length;
          finish({
            ok: true,
            ttftUs: first - start,
            perTokenUs: words > 1 ? (last - first) / (words - 1) : NaN,
            words,
            text,
            wordAt,
          });
        });
        res.on('error', (e) => finish({ ok: false, error: e.message }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    req.on('error', (e) => finish({ ok: false, error: e.message }));
    const start = nowUs();
    req.end(body);
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

function summarize(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  const mean = v.reduce((s, x) => s + x, 0) / (v.length || 1);
  return {
    p50: percentile(v, 50),
    p90: percentile(v, 90),
    p99: percentile(v, 99),
    mean: v.length ? mean : NaN,
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const state = { open: 0, peakOpen: 0 };
  const round = () =>
    Promise.all(Array.from({ length: opts.streams }, () => oneStream(opts, agent, state)));
  if (opts.warmup) await round();
  state.peakOpen = 0;
  const results = [];
  const t0 = Date.now();
  for (let r = 0; r < opts.rounds; r++) results.push(...(await round()));
  const wallMs = Date.now() - t0;
  agent.destroy();

  const ok = results.filter((r) => r.ok);
  const errors = [...new Set(results.filter((r) => !r.ok).map((r) => r.error))].slice(0, 5);
  const mismatched =
    opts.expect === undefined ? 0 : ok.filter((r) => r.text !== opts.expect).length;
  const words = ok.map((r) => r.words);
  process.stdout.write(
    JSON.stringify({
      streams: opts.streams,
      rounds: opts.rounds,
      ok: ok.length,
      failed: results.length - ok.length,
      errors,
      mismatched,
      words: { min: Math.min(...words), max: Math.max(...words) },
      ttft_us: summarize(ok.map((r) => r.ttftUs)),
      per_token_us: summarize(ok.map((r) => r.perTokenUs)),
      word_at_us: Array.from({ length: ok.length ? Math.min(...words) : 0 }, (_, k) =>
        summarize(ok.map((r) => r.wordAt[k])).p50),
      peak_open: state.peakOpen,
      wall_ms: wallMs,
    }) + '\n',
  );
}

main().catch((e) => {
  process.stderr.write(`stream_probe: ${e.message}\n`);
  process.exit(2);
});
