// kt events dashboard: polls GET /keeptrusts/events about once a second and renders the events
// of the chosen time window — totals, verdicts over time, upstream latency and time to first
// token per target (cold starts marked), policy latency, fallbacks and the recent events table.
// Filters apply to everything and are kept in the address bar. Event text is only ever inserted
// with textContent (upstream error messages and model names are untrusted).
'use strict';
(() => {
  const POLL_MS = 1000;
  const OVERLAP_MS = 10000;   // re-read this much before the newest event: late commits
  const PAGE_LIMIT = 1000;    // the endpoint's maximum
  const MAX_EVENTS = 5000;    // kept in memory
  const TABLE_ROWS = 200;
  const COLD_QUEUE_MS = 1000; // a Replicate prediction queued this long waited for a cold boot
  const VERDICTS = ['allow', 'redact', 'block', 'escalate'];
  const COLORS = { allow: '#3fb950', redact: '#d29922', block: '#f85149', escalate: '#a371f7',
                   fallback: '#58a6ff', cold: '#ffa657', failed: '#f85149' };
  const TARGET_COLORS = ['#58a6ff', '#3fb950', '#d2a8ff', '#39c5cf', '#f778ba', '#e3b341',
                         '#79c0ff', '#56d364'];
  const FILTERS = ['verdict', 'target', 'model', 'reason'];

  const $ = (id) => document.getElementById(id);
  const events = new Map();           // id -> event (with _t, ms since epoch)
  const openDetails = new Set();      // event ids whose JSON is shown
  let shownIds = new Set();           // ids in the table after the last render
  let loadedFrom = Infinity;          // events are complete from this time on
  let newest = 0;
  let paused = false;
  let dirty = true;
  let lastRender = 0;
  let charts = { verdicts: null, latency: null, latencyKey: '' };

  // --- token and filters from the address bar -------------------------------------------------
  const query = new URLSearchParams(location.search);
  let token = query.get('token') ?? sessionStorage.getItem('kt-dashboard-token') ?? '';
  if (query.has('token')) {
    // Keep the token in this tab only, and out of the address bar, history and screenshots.
    sessionStorage.setItem('kt-dashboard-token', token);
    query.delete('token');
  }
  const filters = {};
  for (const f of FILTERS) filters[f] = query.get(f) ?? '';
  let windowMs = Number(query.get('window')) || Number($('f-window').value);
  if ([...$('f-window').options].some((o) => Number(o.value) === windowMs)) {
    $('f-window').value = String(windowMs);
  } else {
    windowMs = Number($('f-window').value);
  }
  function saveUrl() {
    const q = new URLSearchParams();
    for (const f of FILTERS) if (filters[f]) q.set(f, filters[f]);
    q.set('window', String(windowMs));
    history.replaceState(null, '', `${location.pathname}?${q}`);
  }
  saveUrl();

  // --- small helpers ----------------------------------------------------------------------------
  function el(tag, props = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k === 'title') e.title = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  }
  function quantile(sorted, q) {
    if (!sorted.length) return null;
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
    return sorted[i];
  }
  const sortNum = (a) => a.sort((x, y) => x - y);
  function fmtMs(ms) {
    if (ms == null || Number.isNaN(ms)) return '—';
    if (ms < 1) return `${ms.toFixed(2)} ms`;
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
    return `${(ms / 60000).toFixed(1)} min`;
  }
  const fmtUs = (us) => (us == null ? '—' : us < 1000 ? `${Math.round(us)} µs` : fmtMs(us / 1000));
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  function fmtTime(t) {
    const d = new Date(t);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }
  const failed = (a) => (a.status ?? 0) >= 400 || !!a.error;
  const isCold = (a) => (a.queue_ms ?? 0) >= COLD_QUEUE_MS;

  // --- fetching ---------------------------------------------------------------------------------
  class AuthError extends Error {}
  async function getJson(path) {
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    const r = await fetch(path, { headers, cache: 'no-store' });
    if (r.status === 401) throw new AuthError('the gateway wants its API token');
    if (!r.ok) {
      let msg = `HTTP ${r.status}`;
      try { msg = (await r.json()).error?.message ?? msg; } catch { /* not JSON */ }
      throw new Error(`${path.split('?')[0]}: ${msg}`);
    }
    return r.json();
  }

  function setLive(state, text) {
    $('live').className = `live ${state}`;
    $('live-text').textContent = text;
  }
  function showAlert(parts) {
    const a = $('alert');
    a.replaceChildren(...parts);
    a.hidden = parts.length === 0;
  }

  async function poll() {
    if (paused) return;
    const now = Date.now();
    const from = now - windowMs;
    const backfill = loadedFrom > from;
    try {
      // The window's start goes as an age (`since=900s`), so the browser's clock does not matter;
      // later polls ask from a little before the newest event seen, as an RFC 3339 time taken
      // from the events themselves (the gateway's clock). The overlap absorbs late commits and
      // the id check drops the repeats.
      const since = backfill || !newest
        ? `${Math.max(1, Math.ceil(windowMs / 1000))}s`
        : new Date(newest - OVERLAP_MS).toISOString();
      const base = `/keeptrusts/events?since=${encodeURIComponent(since)}&limit=${PAGE_LIMIT}`;
      // The feed answers newest first, at most PAGE_LIMIT events: after a full page the older
      // ones come in further pages (`until` is exclusive: the oldest time + 1 ms, the repeats are
      // dropped), up to MAX_EVENTS.
      let added = 0;
      let until = '';
      for (let pages = 0; pages < Math.ceil(MAX_EVENTS / PAGE_LIMIT); pages++) {
        const body = await getJson(until ? `${base}&until=${encodeURIComponent(until)}` : base);
        const list = body.events ?? [];
        let fresh = 0;
        for (const ev of list) {
          if (events.has(ev.id)) continue;
          ev._t = Date.parse(ev.timestamp);
          if (Number.isNaN(ev._t)) continue;
          ev._live = !backfill;
          events.set(ev.id, ev);
          newest = Math.max(newest, ev._t);
          fresh++;
        }
        added += fresh;
        const oldest = list.length ? Date.parse(list[list.length - 1].timestamp) : NaN;
        if (list.length < PAGE_LIMIT || !fresh || Number.isNaN(oldest)) break;
        until = new Date(oldest + 1).toISOString();
      }
      if (backfill) loadedFrom = from;
      if (added) dirty = true;
      showAlert([]);
      if (!paused) setLive('on', `live · ${fmtTime(now).slice(0, 8)}`);
    } catch (e) {
      if (e instanceof AuthError) {
        showAlert([
          el('strong', { text: 'This gateway requires its API token. ' }),
          document.createTextNode('Open '),
          el('code', { text: `${location.pathname}?token=<api-token>` }),
          document.createTextNode(' — the token is kept in this browser tab only and removed ' +
                                  'from the address bar.'),
        ]);
        setLive('error', 'unauthorized');
      } else {
        setLive('error', `disconnected — ${e.message}`);
      }
    }
  }

  async function pollHealth() {
    try {
      const h = await getJson('/health');
      const parts = [el('span', { text: `kt ${h.version ?? ''}` })];
      const cls = { healthy: 'ok', degraded: 'warn', unhealthy: 'bad' }[h.status] ?? '';
      parts.push(el('span', { class: `chip ${cls}`, text: h.status ?? 'unknown' }));
      for (const [id, state] of Object.entries(h.providers ?? {})) {
        const c = state === 'reachable' ? 'ok' : state === 'open_circuit' ? 'bad' : 'warn';
        parts.push(el('span', { class: `chip ${c}`, title: `target ${id}: ${state}`,
                                text: state === 'reachable' ? id : `${id}: ${state}` }));
      }
      const latest = [...events.values()].reduce((a, b) => (!a || b._t > a._t ? b : a), null);
      if (latest?.pack?.name) {
        parts.push(el('span', { class: 'muted', text: `pack ${latest.pack.name} ${latest.pack.version ?? ''}` }));
      }
      $('gateway').replaceChildren(...parts);
    } catch {
      $('gateway').replaceChildren(el('span', { class: 'chip bad', text: 'health unavailable' }));
    }
  }

  // --- selection --------------------------------------------------------------------------------
  function prune(now) {
    const keepFrom = now - windowMs - 60000;
    for (const [id, ev] of events) if (ev._t < keepFrom) events.delete(id);
    if (events.size > MAX_EVENTS) {
      const byAge = [...events.values()].sort((a, b) => a._t - b._t);
      for (const ev of byAge.slice(0, events.size - MAX_EVENTS)) events.delete(ev.id);
    }
  }
  function matches(ev) {
    if (filters.verdict && ev.verdict !== filters.verdict) return false;
    if (filters.model && ev.model !== filters.model) return false;
    if (filters.reason && ev.reason_code !== filters.reason) return false;
    if (filters.target && ev.target !== filters.target &&
        !(ev.attempts ?? []).some((a) => a.target === filters.target)) return false;
    return true;
  }
  function updateFilterOptions(inWindow) {
    const values = { verdict: new Set(VERDICTS), target: new Set(), model: new Set(), reason: new Set() };
    for (const ev of inWindow) {
      if (ev.target) values.target.add(ev.target);
      for (const a of ev.attempts ?? []) if (a.target) values.target.add(a.target);
      if (ev.model) values.model.add(ev.model);
      if (ev.reason_code) values.reason.add(ev.reason_code);
    }
    for (const f of FILTERS) {
      const sel = $(`f-${f}`);
      if (filters[f]) values[f].add(filters[f]);
      const list = f === 'verdict' ? VERDICTS : [...values[f]].sort();
      const have = [...sel.options].slice(1).map((o) => o.value);
      if (have.join('\n') !== list.join('\n')) {
        sel.replaceChildren(el('option', { value: '', text: 'all' }),
                            ...list.map((v) => el('option', { value: v, text: v })));
      }
      sel.value = filters[f];
      sel.classList.toggle('active', !!filters[f]);
    }
  }

  // --- rendering --------------------------------------------------------------------------------
  function render() {
    const now = Date.now();
    prune(now);
    const from = now - windowMs;
    const inWindow = [...events.values()].filter((ev) => ev._t >= from).sort((a, b) => b._t - a._t);
    updateFilterOptions(inWindow);
    const shown = inWindow.filter(matches);
    const active = FILTERS.filter((f) => filters[f]).map((f) => `${f}=${filters[f]}`);
    $('scope').textContent = `${shown.length} of ${inWindow.length} events in the last ` +
        `${$('f-window').selectedOptions[0].textContent}` + (active.length ? ` · ${active.join(', ')}` : '');
    renderKpis(shown);
    renderVerdictChart(shown, from, now);
    renderLatencyChart(shown);
    renderTargets(shown);
    renderPolicies(shown);
    renderFallbacks(shown);
    renderEvents(shown);
    dirty = false;
    lastRender = now;
  }

  function renderKpis(list) {
    const count = (v) => list.filter((e) => e.verdict === v).length;
    const pct = (n) => (list.length ? `${((100 * n) / list.length).toFixed(n && n < list.length / 100 ? 1 : 0)}%` : '');
    const errors = list.filter((e) => e.status >= 500 || (e.status >= 400 && e.verdict === 'allow')).length;
    const fallbacks = list.filter((e) => (e.attempts ?? []).length > 1).length;
    const cold = list.reduce((n, e) => n + (e.attempts ?? []).filter(isCold).length, 0);
    const lat = sortNum(list.map((e) => e.latency_ms).filter((v) => typeof v === 'number'));
    const tokens = list.reduce((n, e) => n + (e.usage?.total_tokens ?? 0), 0);
    const blocked = count('block');
    const redacted = count('redact');
    const kpi = (cls, label, value, sub, title) =>
      el('div', { class: `kpi ${cls}`, title: title ?? label }, el('div', { class: 'label', text: label }),
         el('div', { class: 'value', text: value }, sub ? el('span', { class: 'sub', text: sub }) : null));
    $('kpis').replaceChildren(
        kpi('', 'requests', String(list.length)),
        kpi('allow', 'allowed', String(count('allow')), pct(count('allow'))),
        kpi('redact', 'redacted', String(redacted), pct(redacted)),
        kpi('block', 'blocked', String(blocked), pct(blocked)),
        kpi('block', 'errors', String(errors), pct(errors), 'upstream or request errors (status ≥ 400, not a policy block)'),
        kpi('fallback', 'fallbacks', String(fallbacks), pct(fallbacks), 'events with more than one upstream attempt'),
        kpi('cold', 'cold starts', String(cold), '', `attempts queued ≥ ${COLD_QUEUE_MS / 1000} s before the model started`),
        kpi('', 'latency p50', fmtMs(quantile(lat, 0.5))),
        kpi('', 'latency p95', fmtMs(quantile(lat, 0.95))),
        kpi('', 'tokens', tokens.toLocaleString()));
  }

  function chartWidth(id) { return Math.max(300, $(id).clientWidth); }
  const AXIS = { stroke: '#8b949e', grid: { stroke: '#21262d', width: 1 }, ticks: { stroke: '#30363d', width: 1 } };
  // Time axes in whole seconds or more, labelled as wall-clock time (HH:MM:SS, HH:MM past 1 h).
  const NICE_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600];
  const clock = (s, withSeconds) => {
    const d = new Date(s * 1000);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ''}`;
  };
  const TIME_AXIS = {
    ...AXIS, space: 70, incrs: NICE_S,
    values: (u, splits, _ax, _space, incr) => splits.map((v) => clock(v, incr < 60)),
  };
  const fmtSpan = (ms) => (ms >= 3600000 ? `${ms / 3600000} h` : ms >= 60000 ? `${ms / 60000} min` : `${ms / 1000} s`);

  function bucketFor(ms) {
    return NICE_S.map((s) => s * 1000).find((b) => b >= ms / 40) ?? 3600000;
  }

  function renderVerdictChart(list, from, now) {
    // The chart spans the window, or less when the events began later (at least 1 min), so a
    // burst after a start is not squeezed into one bar.
    const oldest = list.reduce((m, e) => Math.min(m, e._t), now);
    const span = Math.min(now - from, Math.max(60000, Math.ceil((now - oldest) * 1.15)));
    const bucket = bucketFor(span);
    $('bucket-note').textContent = `last ${fmtSpan(Math.ceil(span / bucket) * bucket)} · per ` +
        `${fmtSpan(bucket)} · bars stacked by verdict, line = fallbacks`;
    const start = Math.floor((now - span) / bucket) * bucket;
    const n = Math.floor((now - start) / bucket) + 1;
    const xs = Array.from({ length: n }, (_, i) => (start + i * bucket + bucket / 2) / 1000);
    const raw = Object.fromEntries(VERDICTS.map((v) => [v, new Array(n).fill(0)]));
    const fb = new Array(n).fill(0);
    for (const ev of list) {
      const i = Math.floor((ev._t - start) / bucket);
      if (i < 0 || i >= n) continue;
      if (raw[ev.verdict]) raw[ev.verdict][i]++;
      if ((ev.attempts ?? []).length > 1) fb[i]++;
    }
    // Stacked bottom-up: escalate, block, redact, allow. uPlot draws series in order, so the
    // tallest cumulative (allow on top) comes first and each later bar paints over it.
    const cum = {};
    let acc = new Array(n).fill(0);
    for (const v of ['escalate', 'block', 'redact', 'allow']) {
      acc = acc.map((s, i) => s + raw[v][i]);
      cum[v] = acc;
    }
    const data = [xs, ...VERDICTS.map((v) => cum[v]), fb];
    if (!charts.verdicts) {
      const bars = uPlot.paths.bars({ size: [0.8, 40] });
      charts.verdicts = new uPlot({
        width: chartWidth('chart-verdicts'), height: 190,
        cursor: { points: { show: false } },
        scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(4, Math.ceil(max * 1.1))] } },
        axes: [{ ...TIME_AXIS }, { ...AXIS, size: 40, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }],
        series: [
          {},
          ...VERDICTS.map((v, k) => ({
            label: v, stroke: COLORS[v], fill: `${COLORS[v]}cc`, width: 0, paths: bars,
            points: { show: false },
            value: (u, _v, _s, idx) => (idx == null ? '—' : String(u._raw[VERDICTS[k]][idx])),
          })),
          { label: 'fallbacks', stroke: COLORS.fallback, width: 2, points: { show: false } },
        ],
      }, data, $('chart-verdicts'));
    } else {
      charts.verdicts.setData(data);
    }
    charts.verdicts._raw = raw;
  }

  // Log-scale grid lines at 1 ms, 10 ms, 100 ms, 1 s, … only: readable at a glance.
  function powersOfTen(u, axis, min, max) {
    const out = [];
    for (let p = 10 ** Math.floor(Math.log10(Math.max(min, 1e-3))); p <= max * 1.0001; p *= 10) {
      if (p >= min * 0.9999) out.push(p);
    }
    return out;
  }

  function renderLatencyChart(list) {
    const points = [];
    for (const ev of list) {
      for (const a of ev.attempts ?? []) points.push({ t: ev._t, a });
    }
    points.sort((p, q) => p.t - q.t);
    const targets = [...new Set(points.map((p) => p.a.target))].sort().slice(0, TARGET_COLORS.length);
    const clamp = (v) => (typeof v === 'number' ? Math.max(1, v) : null);
    // One x per attempt (a millisecond apart when they share a timestamp), one series per target
    // for total latency and one for time to first token; rings mark cold starts and failures.
    const xs = [];
    let lastX = -Infinity;
    for (const p of points) {
      lastX = Math.max(p.t / 1000, lastX + 0.001);
      xs.push(lastX);
    }
    const col = (fn) => points.map((p) => fn(p.a));
    const data = [xs];
    for (const t of targets) {
      data.push(col((a) => (a.target === t ? clamp(a.latency_ms) : null)));
      data.push(col((a) => (a.target === t ? clamp(a.ttfb_ms) : null)));
    }
    data.push(col((a) => (isCold(a) ? clamp(a.latency_ms) : null)));
    data.push(col((a) => (failed(a) ? clamp(a.latency_ms) : null)));
    const key = targets.join('\n');
    if (charts.latency && charts.latencyKey !== key) {
      charts.latency.destroy();
      charts.latency = null;
    }
    if (!charts.latency) {
      const series = [{}];
      targets.forEach((t, k) => {
        const c = TARGET_COLORS[k];
        series.push({ label: t, stroke: c, width: 1.5, spanGaps: true, points: { show: true, size: 5, fill: c },
                      value: (u, v) => fmtMs(v) });
        series.push({ label: `${t} ttfb`, stroke: `${c}aa`, width: 1, dash: [4, 4], spanGaps: true,
                      points: { show: true, size: 6, fill: '#0d1117' }, value: (u, v) => fmtMs(v) });
      });
      const ring = (label, color, size) => ({
        label, stroke: color, width: 2, paths: () => null,
        points: { show: true, size, width: 2, fill: 'transparent', stroke: color },
        value: (u, v) => (v == null ? '—' : fmtMs(v)),
      });
      series.push(ring('cold start', COLORS.cold, 14), ring('failed', COLORS.failed, 10));
      charts.latency = new uPlot({
        width: chartWidth('chart-latency'), height: 210,
        scales: { x: { time: true }, y: { distr: 3, log: 10 } },
        axes: [{ ...TIME_AXIS }, { ...AXIS, size: 60, splits: powersOfTen, values: (u, vals) => vals.map((v) => fmtMs(v)) }],
        series,
      }, data, $('chart-latency'));
      charts.latencyKey = key;
    } else {
      charts.latency.setData(data);
    }
  }

  function emptyRow(tbody, cols, text) {
    tbody.replaceChildren(el('tr', {}, el('td', { class: 'empty', colspan: String(cols), text })));
  }

  function renderTargets(list) {
    const by = new Map();
    for (const ev of list) {
      for (const a of ev.attempts ?? []) {
        if (!by.has(a.target)) by.set(a.target, { provider: a.provider, lat: [], ttfb: [], n: 0, failed: 0, cold: 0, queue: 0 });
        const s = by.get(a.target);
        s.n++;
        if (failed(a)) s.failed++;
        if (typeof a.latency_ms === 'number') s.lat.push(a.latency_ms);
        if (typeof a.ttfb_ms === 'number') s.ttfb.push(a.ttfb_ms);
        if (isCold(a)) s.cold++;
        s.queue = Math.max(s.queue, a.queue_ms ?? 0);
      }
    }
    const tbody = $('targets').tBodies[0];
    if (!by.size) return emptyRow(tbody, 9, 'no upstream calls in this window');
    tbody.replaceChildren(...[...by].sort().map(([t, s]) => {
      sortNum(s.lat);
      sortNum(s.ttfb);
      return el('tr', {},
          el('td', { title: `provider: ${s.provider ?? ''}`, text: t }),
          el('td', { class: 'num', text: String(s.n) }),
          el('td', { class: `num${s.failed ? ' fail' : ''}`, text: String(s.failed) }),
          el('td', { class: 'num', text: fmtMs(quantile(s.lat, 0.5)) }),
          el('td', { class: 'num', text: fmtMs(quantile(s.lat, 0.95)) }),
          el('td', { class: 'num', text: fmtMs(quantile(s.ttfb, 0.5)) }),
          el('td', { class: 'num', text: fmtMs(quantile(s.ttfb, 0.95)) }),
          el('td', { class: `num${s.cold ? ' cold' : ''}`, text: String(s.cold) }),
          el('td', { class: 'num', text: s.queue ? fmtMs(s.queue) : '—' }));
    }));
  }

  function renderPolicies(list) {
    const by = new Map();
    for (const ev of list) {
      for (const p of ev.policies ?? []) {
        const key = `${p.kind}\n${p.phase}`;
        if (!by.has(key)) by.set(key, { kind: p.kind, phase: p.phase, us: [], block: 0, redact: 0 });
        const s = by.get(key);
        if (p.verdict === 'skipped') continue;
        if (typeof p.latency_us === 'number') s.us.push(p.latency_us);
        if (p.verdict === 'block') s.block++;
        if (p.verdict === 'redact') s.redact++;
      }
    }
    const rows = [...by.values()].filter((s) => s.us.length).map((s) => ({ ...s, us: sortNum(s.us) }));
    const tbody = $('policies').tBodies[0];
    if (!rows.length) return emptyRow(tbody, 8, 'no policy evaluations in this window');
    const top = Math.max(...rows.map((s) => quantile(s.us, 0.95)), 1);
    rows.sort((a, b) => (a.phase === b.phase ? a.kind.localeCompare(b.kind) : a.phase.localeCompare(b.phase)));
    tbody.replaceChildren(...rows.map((s) => {
      const p95 = quantile(s.us, 0.95);
      const bar = el('div', { class: 'hbar' });
      bar.style.width = `${Math.max(1, (100 * p95) / top)}%`;
      return el('tr', {},
          el('td', {}, s.kind, el('span', { class: 'muted', text: ` ${s.phase}` })),
          el('td', { class: 'num', text: String(s.us.length) }),
          el('td', { class: 'num', text: fmtUs(quantile(s.us, 0.5)) }),
          el('td', { class: 'num', text: fmtUs(p95) }),
          el('td', { class: 'num', text: fmtUs(s.us[s.us.length - 1]) }),
          el('td', { class: 'bar-col' }, bar),
          el('td', { class: `num${s.block ? ' fail' : ''}`, text: String(s.block) }),
          el('td', { class: 'num', text: String(s.redact) }));
    }));
  }

  function attemptPath(ev) {
    return (ev.attempts ?? []).map((a) => `${a.target}${failed(a) ? ' ✕' : ''}`).join(' → ');
  }

  function renderFallbacks(list) {
    const by = new Map();
    for (const ev of list) {
      if ((ev.attempts ?? []).length < 2) continue;
      const path = attemptPath(ev);
      if (!by.has(path)) by.set(path, { n: 0, served: 0 });
      const s = by.get(path);
      s.n++;
      if (ev.status < 400) s.served++;
    }
    const tbody = $('fallbacks').tBodies[0];
    if (!by.size) return emptyRow(tbody, 3, 'no fallbacks in this window');
    tbody.replaceChildren(...[...by].sort((a, b) => b[1].n - a[1].n).map(([path, s]) =>
      el('tr', {}, el('td', { class: 'wrap', text: path }), el('td', { class: 'num', text: String(s.n) }),
         el('td', { class: `num${s.served < s.n ? ' fail' : ''}`, text: `${s.served}/${s.n}` }))));
  }

  function eventRow(ev, fresh) {
    const attempts = ev.attempts ?? [];
    const last = attempts[attempts.length - 1];
    const cold = attempts.some(isCold);
    const ttfb = el('td', { class: 'num' }, fmtMs(last?.ttfb_ms));
    if (cold) ttfb.append(el('span', { class: 'cold', title: 'cold start', text: ' ◯' }));
    // Policies that acted are named; the ones that let the request pass are counted.
    const policies = ev.policies ?? [];
    const pols = el('td', { class: 'pols wrap', title: policies.map((p) => `${p.kind} (${p.phase}): ${p.verdict}, ${fmtUs(p.latency_us)}`).join('\n') });
    for (const p of policies) {
      if (p.verdict !== 'allow' && p.verdict !== 'skipped') pols.append(el('span', { class: `pol ${p.verdict}`, text: `${p.kind}:${p.verdict}` }));
    }
    for (const v of ['allow', 'skipped']) {
      const n = policies.filter((p) => p.verdict === v).length;
      if (n) pols.append(el('span', { class: 'pol', text: `${n} ${v === 'allow' ? 'passed' : v}` }));
    }
    const reason = ev.reason_code || ev.error || '';
    const tr = el('tr', { class: `row${fresh ? ' fresh' : ''}`, 'data-id': ev.id, 'data-verdict': ev.verdict },
        el('td', { title: ev.timestamp, text: fmtTime(ev._t) }),
        el('td', {}, el('span', { class: `badge ${ev.verdict}`, text: ev.verdict })),
        el('td', { class: `num status${ev.status >= 400 ? ' err' : ''}`, text: String(ev.status) }),
        el('td', { text: (ev.route ?? '').replace(/^\/v1\//, '') + (ev.stream ? ' ⇢' : ''),
                   title: `${ev.route}${ev.stream ? ' (streamed)' : ''}` }),
        el('td', { text: ev.model }),
        el('td', { class: 'target', title: attemptPath(ev), text: attempts.length > 1 ? attemptPath(ev) : (ev.target || last?.target || '—') }),
        el('td', { class: 'reason', title: reason, text: reason }),
        el('td', { class: 'num', text: fmtMs(ev.latency_ms) }),
        ttfb,
        el('td', { class: 'num', text: ev.usage?.total_tokens != null ? String(ev.usage.total_tokens) : '—' }),
        pols);
    tr.addEventListener('click', () => {
      if (openDetails.has(ev.id)) openDetails.delete(ev.id); else openDetails.add(ev.id);
      render();
    });
    return tr;
  }

  function detailRow(ev) {
    const { _t, _live, ...shown } = ev;
    return el('tr', { class: 'detail' }, el('td', { colspan: '11' }, el('pre', { text: JSON.stringify(shown, null, 2) })));
  }

  function renderEvents(list) {
    const rows = list.slice(0, TABLE_ROWS);
    $('events-note').textContent = list.length > TABLE_ROWS ? `newest ${TABLE_ROWS} of ${list.length}` : '';
    const tbody = $('events').tBodies[0];
    if (!rows.length) {
      emptyRow(tbody, 11, events.size ? 'no events match the filters' : 'waiting for events…');
      shownIds = new Set();
      return;
    }
    const out = [];
    for (const ev of rows) {
      out.push(eventRow(ev, ev._live && !shownIds.has(ev.id)));
      if (openDetails.has(ev.id)) out.push(detailRow(ev));
    }
    tbody.replaceChildren(...out);
    shownIds = new Set([...shownIds, ...rows.map((e) => e.id)]);
  }

  // --- controls and the loop --------------------------------------------------------------------
  for (const f of FILTERS) {
    $(`f-${f}`).addEventListener('change', (e) => {
      filters[f] = e.target.value;
      saveUrl();
      render();
    });
  }
  $('clear').addEventListener('click', () => {
    for (const f of FILTERS) filters[f] = '';
    saveUrl();
    render();
  });
  $('f-window').addEventListener('change', (e) => {
    windowMs = Number(e.target.value);
    saveUrl();
    if (charts.verdicts) { charts.verdicts.destroy(); charts.verdicts = null; }
    render();
    poll().then(render);
  });
  $('pause').addEventListener('click', () => {
    paused = !paused;
    $('pause').textContent = paused ? 'resume' : 'pause';
    if (paused) setLive('', 'paused');
    else tick();
  });
  window.addEventListener('resize', () => {
    charts.verdicts?.setSize({ width: chartWidth('chart-verdicts'), height: 190 });
    charts.latency?.setSize({ width: chartWidth('chart-latency'), height: 210 });
  });

  let timer = null;
  async function tick() {
    clearTimeout(timer);
    await poll();
    // Re-render when something arrived, and every few seconds so the time axis moves on.
    if (dirty || Date.now() - lastRender > 5000) render();
    if (!paused) timer = setTimeout(tick, POLL_MS);
  }
  render();
  tick();
  pollHealth();
  setInterval(pollHealth, 10000);
})();
