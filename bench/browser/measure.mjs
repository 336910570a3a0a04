// Browser benchmark of a built metricdict site, measured like a user in headless Chromium.
//
//   node measure.mjs measure --base http://127.0.0.1:PORT/ --label 5000 --runs 5 --out DIR
//   node measure.mjs report --out results.md --machine machine.json SUMMARY.json...
//
// `measure` writes DIR/run-<page>-<i>.json for every run and DIR/summary.json (medians, min-max).
// `report` turns summaries into the markdown table (see README.md for what each figure is).
//
// The harness does not depend on the table's row markup: the search box is `.fb-q` or
// `input[type=search]`, the category filter `select[data-param=category]`, and "the page stops
// changing" is watched with a MutationObserver on the whole `main` (else `body`).
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const CHROMIUM = process.env.BENCH_CHROMIUM || '/usr/bin/chromium';
const CAP_MS = Number(process.env.BENCH_CAP_MS || 60000); // longest wait for any one thing
const QUIET_MS = Number(process.env.BENCH_QUIET_MS || 1000); // "stopped changing": no mutation for this long
const KEY_GAP_MS = 150; // a human typing pace
const PAGES = [
  { name: '/', path: '', query: 'merge request', filter: 'operational' },
  { name: '/events/', path: 'events/', query: 'issue', filter: null /* the most common option */ },
];
const SEARCH_BOX = '.fb-q, input[type=search]';
const TABLE = '.dict-box, [data-table]';
const FILTER = 'select[data-param=category]';

// ---------------------------------------------------------------------------------------------
// In-page instrumentation, installed before any page script runs.
function instrument(capMs) {
  const B = (window.__bench = {
    longtasks: [], events: [], keydowns: [], selectInputs: [],
    muts: 0, records: 0, mutTimes: [], lastMut: -1, painted: -1, paintedFor: -1, observing: false,
  });
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) B.longtasks.push({ start: e.startTime, dur: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) { B.noLongtask = String(e); }
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) {
        B.events.push({ name: e.name, start: e.startTime, dur: e.duration, id: e.interactionId || 0,
          procStart: e.processingStart, procEnd: e.processingEnd });
      }
    }).observe({ type: 'event', durationThreshold: 16, buffered: true });
  } catch (e) { B.noEventTiming = String(e); }
  // The user's actions (capture phase, before the page's own handlers). Each also asks for the
  // frame after it, so an action that changes nothing still settles at its next paint.
  addEventListener('keydown', (e) => {
    B.keydowns.push({ key: e.key, ts: e.timeStamp, at: performance.now() });
    afterFrame(performance.now());
  }, true);
  addEventListener('input', (e) => {
    if (e.target && e.target.tagName === 'SELECT') {
      B.selectInputs.push({ ts: e.timeStamp, at: performance.now() });
      afterFrame(performance.now());
    }
  }, true);

  // "Painted": a message posted from a frame's rendering update runs after that frame's style,
  // layout and paint, so its performance.now() is when the frame's main-thread work was done.
  // A mutation made inside the rendering update (a rAF callback) is painted by that same frame;
  // any other mutation by the next one.
  const ch = new MessageChannel();
  let msgPending = false, rafPending = false, inFrame = false, cover = -1, rafCover = -1;
  ch.port1.onmessage = () => {
    msgPending = false; inFrame = false;
    if (cover >= 0) { B.painted = performance.now(); B.paintedFor = cover; cover = -1; }
  };
  const post = () => { if (!msgPending) { msgPending = true; ch.port2.postMessage(0); } };
  const origRaf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = function (cb) {
    return origRaf(function (ts) { inFrame = true; post(); return cb(ts); });
  };
  function afterFrame(m) {
    if (inFrame) { cover = m; post(); return; }
    rafCover = m;
    if (!rafPending) {
      rafPending = true;
      origRaf(() => { rafPending = false; inFrame = true; cover = rafCover; post(); });
    }
  }
  const mo = new MutationObserver((recs) => {
    const m = performance.now();
    B.muts++; B.records += recs.length;
    B.mutTimes.push(m);
    B.lastMut = m;
    afterFrame(m);
  });
  B.observe = () => {
    if (B.observing) return;
    const root = document.querySelector('main') || document.body;
    mo.observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
    B.observing = true;
  };
  B.reset = () => { B.muts = 0; B.records = 0; B.mutTimes = []; B.lastMut = -1; B.painted = -1; B.paintedFor = -1; };

  // Resolves once nothing in `main` has changed for `quiet` ms after t0 and the frame after the
  // last change has been painted; or after `capMs`.
  B.settle = (t0, quiet) => new Promise((resolve) => {
    (function check() {
      const now = performance.now();
      const since = Math.max(B.lastMut, t0);
      const framePending = B.lastMut >= 0 && B.paintedFor < B.lastMut;
      if (!framePending && now - since >= quiet) {
        resolve({ timedOut: false, muts: B.muts, records: B.records, firstMut: B.mutTimes.find((x) => x >= t0),
          lastMut: B.lastMut, painted: B.painted, now });
      } else if (now - t0 > capMs) {
        resolve({ timedOut: true, muts: B.muts, records: B.records, firstMut: B.mutTimes.find((x) => x >= t0),
          lastMut: B.lastMut, painted: B.painted, now });
      } else setTimeout(check, 50);
    })();
  });

  // Event Timing entries arrive after the frame's presentation, which on a loaded machine can be
  // late: wait (up to `ms`) for the interaction of the key pressed at `ts`.
  B.waitEvent = (ts, ms) => new Promise((resolve) => {
    const until = performance.now() + ms;
    (function check() {
      const ok = B.events.some((e) => e.id && Math.abs(e.start - ts) < 1);
      if (ok || performance.now() > until) resolve(ok); else setTimeout(check, 50);
    })();
  });

  // Resolves once the load event has ended and no long task (> 50 ms) has run for `quiet` ms.
  B.waitIdle = (quiet) => new Promise((resolve) => {
    (function check() {
      const now = performance.now();
      const nav = performance.getEntriesByType('navigation')[0];
      const loadEnd = nav ? nav.loadEventEnd : 0;
      const lastLong = B.longtasks.reduce((a, t) => Math.max(a, t.start + t.dur), 0);
      if (loadEnd > 0 && now - Math.max(loadEnd, lastLong) >= quiet) resolve({ timedOut: false, now });
      else if (now > capMs) resolve({ timedOut: true, now });
      else setTimeout(check, 100);
    })();
  });
}

// ---------------------------------------------------------------------------------------------
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const h = v.length >> 1;
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
};
const round = (x, d = 1) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);

// Top-level main-thread tasks of the page's renderer, from a Chrome trace.
function traceTasks(trace, baseUrl) {
  const evs = trace.traceEvents || trace;
  const nav = evs.filter((e) => e.name === 'navigationStart' && e.args && e.args.data &&
    String(e.args.data.documentLoaderURL || '').startsWith(baseUrl));
  if (!nav.length) return null;
  const n = nav[nav.length - 1];
  const { pid, tid } = n;
  const names = new Set(['ThreadControllerImpl::RunTask', 'RunTask', 'ThreadPool_RunTask']);
  const tasks = evs.filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X' && names.has(e.name) && e.ts >= n.ts)
    .sort((a, b) => a.ts - b.ts);
  const top = [];
  let end = -1;
  for (const t of tasks) {
    if (t.ts < end) continue; // nested inside the previous top-level task
    top.push({ start: (t.ts - n.ts) / 1000, dur: (t.dur || 0) / 1000 });
    end = t.ts + (t.dur || 0);
  }
  return top;
}

async function settleFrom(page, t0) {
  return page.evaluate((t, q) => window.__bench.settle(t, q), t0, QUIET_MS);
}

function interactionsBetween(events, from, to) {
  const by = new Map();
  for (const e of events) {
    if (!e.id || e.start < from - 1 || e.start > to) continue;
    by.set(e.id, Math.max(by.get(e.id) || 0, e.dur));
  }
  return [...by.values()];
}

function longtasksBetween(lts, from, to) {
  const l = lts.filter((t) => t.start + t.dur > from && t.start < to);
  return { count: l.length, ms: round(l.reduce((a, t) => a + t.dur, 0), 0) };
}

// One settle measurement: t0 is when the user's action happened (page clock).
function settleResult(s, t0, extra = {}) {
  const changed = s.lastMut >= t0;
  return {
    timedOut: s.timedOut,
    // Until the frame after the last change (or, with no change, after the action) was painted.
    settleMs: s.timedOut || s.painted < t0 ? null : round(s.painted - t0),
    changed,
    lastChangeMs: changed ? round(s.lastMut - t0) : null,
    firstChangeMs: s.firstMut != null ? round(s.firstMut - t0) : null,
    mutationBatches: s.muts, mutationRecords: s.records,
    ...extra,
  };
}

async function measurePage(browser, base, pg, runIdx) {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  const out = { page: pg.name, run: runIdx };
  try {
    await page.setViewport({ width: 1440, height: 900 });
    await page.evaluateOnNewDocument(instrument, CAP_MS);
    const cdp = await page.createCDPSession();
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const reqs = new Map();
    let counting = true;
    cdp.on('Network.requestWillBeSent', (e) => {
      if (counting && !e.request.url.startsWith('data:')) reqs.set(e.requestId, { url: e.request.url, bytes: 0 });
    });
    cdp.on('Network.loadingFinished', (e) => { const r = reqs.get(e.requestId); if (r) r.bytes = e.encodedDataLength; });

    // --- navigation ----------------------------------------------------------------------
    const url = base + pg.path;
    await page.tracing.start({ categories: ['toplevel', 'blink.user_timing', 'loading', '__metadata'] });
    await page.goto(url, { waitUntil: 'load', timeout: CAP_MS * 3 });
    const idle = await page.evaluate((q) => window.__bench.waitIdle(q), QUIET_MS);
    counting = false;
    const trace = JSON.parse(Buffer.from(await page.tracing.stop()).toString("utf8"));
    const navInfo = await page.evaluate((sb, tb) => {
      const nav = performance.getEntriesByType('navigation')[0];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      const count = document.querySelector('.fb-count');
      return {
        fcp: fcp ? fcp.startTime : null, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
        dom: document.getElementsByTagName('*').length, htmlBytes: nav.encodedBodySize, htmlRaw: nav.decodedBodySize,
        hasSearch: !!document.querySelector(sb), hasTable: !!document.querySelector(tb),
        count: count ? count.textContent.trim() : null,
        longtasks: window.__bench.longtasks.slice(),
      };
    }, SEARCH_BOX, TABLE);
    const tasks = traceTasks(trace, base) || [];
    const long = tasks.filter((t) => t.dur > 50);
    const idleAt = long.length ? Math.max(...long.map((t) => t.start + t.dur)) : navInfo.dcl;
    const busy = tasks.filter((t) => t.start < idleAt).reduce((a, t) => a + Math.min(t.dur, idleAt - t.start), 0);
    const transferred = [...reqs.values()].reduce((a, r) => a + r.bytes, 0);
    out.nav = {
      url, timedOut: idle.timedOut, fcpMs: round(navInfo.fcp), dclMs: round(navInfo.dcl), loadMs: round(navInfo.load),
      domElements: navInfo.dom, transferredBytes: transferred, requests: reqs.size,
      htmlGzipBytes: navInfo.htmlBytes, htmlRawBytes: navInfo.htmlRaw,
      busyMs: round(busy, 0), idleAtMs: round(idleAt, 0),
      longTasks: { count: long.length, ms: round(long.reduce((a, t) => a + t.dur, 0), 0), maxMs: round(Math.max(0, ...long.map((t) => t.dur)), 0) },
      traceTasks: tasks.length, countText: navInfo.count,
      resources: [...reqs.values()].map((r) => ({ url: r.url.replace(base, '/'), bytes: r.bytes })),
    };
    if (!navInfo.hasSearch) throw new Error(`no search box (${SEARCH_BOX}) on ${url}`);

    // --- typed query, one key at a time ------------------------------------------------------
    await page.evaluate(() => { window.__bench.observe(); window.__bench.reset(); });
    const box = await page.$(SEARCH_BOX);
    await box.focus();
    const firstKey = await page.evaluate(() => performance.now());
    for (let i = 0; i < pg.query.length; i++) {
      if (i) await sleep(KEY_GAP_MS);
      await page.keyboard.press(pg.query[i]);
    }
    let kd = await page.evaluate(() => window.__bench.keydowns.slice(-1)[0]);
    let s = await settleFrom(page, kd.ts);
    await page.evaluate((t) => window.__bench.waitEvent(t, 5000), kd.ts);
    let st = await page.evaluate(() => ({ events: window.__bench.events.slice(), longtasks: window.__bench.longtasks.slice(),
      count: (document.querySelector('.fb-count') || {}).textContent || null }));
    const perKey = interactionsBetween(st.events, firstKey, s.now);
    const keys = await page.evaluate((t) => window.__bench.keydowns.filter((k) => k.ts >= t - 1), firstKey);
    out.type = settleResult(s, kd.ts, {
      keydowns: keys.map((k) => ({ key: k.key, ts: round(k.ts), at: round(k.at) })),
      keyEvents: st.events.filter((e) => e.start >= firstKey - 1 && e.start <= s.now)
        .map((e) => ({ name: e.name, start: round(e.start), dur: e.dur, id: e.id })),
      query: pg.query, inpMs: perKey.length ? Math.max(...perKey) : 0, keyInteractions: perKey,
      lastKeyInpMs: Math.max(0, ...interactionsBetween(st.events, kd.ts, s.now)),
      inputDelayMs: round(kd.at - kd.ts), longTasks: longtasksBetween(st.longtasks, firstKey, s.now), countText: st.count,
    });

    // --- clear the box: select all, Backspace --------------------------------------------------
    await page.keyboard.down('Control'); await page.keyboard.press('a'); await page.keyboard.up('Control');
    await sleep(KEY_GAP_MS);
    await page.evaluate(() => window.__bench.reset());
    await page.keyboard.press('Backspace');
    kd = await page.evaluate(() => window.__bench.keydowns.slice(-1)[0]);
    s = await settleFrom(page, kd.ts);
    await page.evaluate((t) => window.__bench.waitEvent(t, 5000), kd.ts);
    st = await page.evaluate(() => ({ events: window.__bench.events.slice(), longtasks: window.__bench.longtasks.slice(),
      count: (document.querySelector('.fb-count') || {}).textContent || null, q: document.querySelector('.fb-q, input[type=search]').value }));
    out.clear = settleResult(s, kd.ts, {
      inpMs: Math.max(0, ...interactionsBetween(st.events, kd.ts, s.now)),
      longTasks: longtasksBetween(st.longtasks, kd.ts, s.now), countText: st.count, boxAfter: st.q,
    });

    // --- category filter, then back to "All" ------------------------------------------------
    const value = await page.evaluate((sel, want) => {
      const f = document.querySelector(sel);
      if (!f) return null;
      const opts = [...f.options].filter((o) => o.value !== '');
      if (want && opts.some((o) => o.value === want)) return want;
      const n = (o) => Number((/\((\d[\d,]*)\)\s*$/.exec(o.textContent) || [0, '0'])[1].replace(/,/g, ''));
      opts.sort((a, b) => n(b) - n(a));
      return opts.length ? opts[0].value : null;
    }, FILTER, pg.filter);
    if (value !== null) {
      for (const [key, v] of [['filter', value], ['filterAll', '']]) {
        await sleep(KEY_GAP_MS);
        await page.evaluate(() => window.__bench.reset());
        const n0 = await page.evaluate(() => window.__bench.selectInputs.length);
        await page.select(FILTER, v);
        const t0 = await page.evaluate((n) => (window.__bench.selectInputs[n] || {}).ts, n0);
        s = await settleFrom(page, t0);
        st = await page.evaluate(() => ({ longtasks: window.__bench.longtasks.slice(),
          count: (document.querySelector('.fb-count') || {}).textContent || null }));
        out[key] = settleResult(s, t0, { value: v, longTasks: longtasksBetween(st.longtasks, t0, s.now), countText: st.count });
      }
    }
  } finally {
    await ctx.close().catch(() => {});
  }
  return out;
}

const FIGURES = [ // [key, path in a run]
  ['domElements', (r) => r.nav.domElements],
  ['transferredBytes', (r) => r.nav.transferredBytes],
  ['htmlGzipBytes', (r) => r.nav.htmlGzipBytes],
  ['htmlRawBytes', (r) => r.nav.htmlRawBytes],
  ['fcpMs', (r) => r.nav.fcpMs],
  ['loadMs', (r) => r.nav.loadMs],
  ['busyMs', (r) => r.nav.busyMs],
  ['idleAtMs', (r) => r.nav.idleAtMs],
  ['navLongTasks', (r) => r.nav.longTasks.count],
  ['navLongTaskMs', (r) => r.nav.longTasks.ms],
  ['keyInpMs', (r) => r.type && r.type.inpMs],
  ['lastKeyInpMs', (r) => r.type && r.type.lastKeyInpMs],
  ['typeSettleMs', (r) => r.type && (r.type.timedOut ? Infinity : r.type.settleMs)],
  ['typeLongTasks', (r) => r.type && r.type.longTasks.count],
  ['typeLongTaskMs', (r) => r.type && r.type.longTasks.ms],
  ['clearInpMs', (r) => r.clear && r.clear.inpMs],
  ['clearSettleMs', (r) => r.clear && (r.clear.timedOut ? Infinity : r.clear.settleMs)],
  ['clearLongTasks', (r) => r.clear && r.clear.longTasks.count],
  ['filterSettleMs', (r) => r.filter && (r.filter.timedOut ? Infinity : r.filter.settleMs)],
  ['filterLongTasks', (r) => r.filter && r.filter.longTasks.count],
  ['filterAllSettleMs', (r) => r.filterAll && (r.filterAll.timedOut ? Infinity : r.filterAll.settleMs)],
  ['filterAllLongTasks', (r) => r.filterAll && r.filterAll.longTasks.count],
];

function summarize(runs) {
  const fig = {};
  for (const [k, get] of FIGURES) {
    const vals = runs.map((r) => { try { return get(r); } catch { return null; } }).filter((v) => v != null);
    if (!vals.length) continue;
    const timedOut = vals.filter((v) => v === Infinity).length;
    const fin = vals.filter((v) => v !== Infinity);
    // A timed-out run counts as the slowest; the median is "> cap" when half or more timed out.
    const med = timedOut * 2 >= vals.length ? null : median([...fin, ...Array(timedOut).fill(Number.MAX_VALUE)]);
    fig[k] = { median: med, min: fin.length ? Math.min(...fin) : null, max: timedOut ? null : Math.max(...fin),
      timedOut, runs: vals.map((v) => (v === Infinity ? null : v)) };
  }
  return fig;
}

async function measure(args) {
  const base = args.base.endsWith('/') ? args.base : args.base + '/';
  const runs = Number(args.runs || 5);
  // BENCH_PAGES="/events/" measures a subset (for debugging; the report expects both).
  const only = (process.env.BENCH_PAGES || '').split(/[ ,]+/).filter(Boolean);
  const pages = only.length ? PAGES.filter((p) => only.includes(p.name)) : PAGES;
  await fs.mkdir(args.out, { recursive: true });
  const userDataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'metricdict-bench-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM, headless: true, userDataDir, protocolTimeout: CAP_MS * 5,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    defaultViewport: { width: 1440, height: 900 },
  });
  const version = await browser.version();
  const all = {};
  try {
    // Untimed warm-up visits (BENCH_WARMUP, default 1): the first page of a fresh browser pays for
    // starting its renderer and reading the binary from disk.
    for (let w = 0; w < Number(process.env.BENCH_WARMUP ?? 1); w++) {
      for (const pg of pages) {
        const ctx = await browser.createBrowserContext();
        try {
          const page = await ctx.newPage();
          await page.evaluateOnNewDocument(instrument, CAP_MS);
          await page.goto(base + pg.path, { waitUntil: 'load', timeout: CAP_MS * 3 });
          await page.evaluate((q) => window.__bench.waitIdle(q), QUIET_MS);
        } catch (e) { console.error(`  warm-up ${pg.name}: ${e}`); }
        await ctx.close().catch(() => {});
      }
    }
    for (let i = 1; i <= runs; i++) {
      for (const pg of pages) {
        const t = Date.now();
        let r;
        try {
          r = await measurePage(browser, base, pg, i);
        } catch (e) {
          r = { page: pg.name, run: i, error: String((e && e.stack) || e) };
        }
        r.label = args.label; r.browser = version;
        const file = path.join(args.out, `run-${pg.name === '/' ? 'index' : pg.name.replace(/\//g, '')}-${i}.json`);
        await fs.writeFile(file, JSON.stringify(r, null, 1));
        (all[pg.name] ||= []).push(r);
        const f = (x) => (x == null ? '-' : x);
        if (r.error) console.error(`  ${args.label} ${pg.name} run ${i}: ERROR ${r.error.split('\n')[0]}`);
        else console.error(`  ${args.label} ${pg.name} run ${i} (${((Date.now() - t) / 1000).toFixed(0)} s): dom ${r.nav.domElements}, ` +
          `${(r.nav.transferredBytes / 1024).toFixed(0)} KB, fcp ${f(r.nav.fcpMs)}, busy ${r.nav.busyMs}, idle@${r.nav.idleAtMs}; ` +
          `INP ${f(r.type && r.type.inpMs)}, type ${f(r.type && r.type.settleMs)}${r.type && r.type.timedOut ? '(timeout)' : ''}, ` +
          `clear ${f(r.clear && r.clear.settleMs)}, filter ${f(r.filter && r.filter.settleMs)}, all ${f(r.filterAll && r.filterAll.settleMs)}`);
      }
    }
  } finally {
    await browser.close().catch(() => {});
    await fs.rm(userDataDir, { recursive: true, force: true }).catch(() => {});
  }
  const summary = { label: args.label, base, runs, browser: version, capMs: CAP_MS, quietMs: QUIET_MS, pages: {} };
  for (const [name, rs] of Object.entries(all)) {
    const ok = rs.filter((r) => !r.error);
    summary.pages[name] = { runsOk: ok.length, errors: rs.filter((r) => r.error).map((r) => r.error.split('\n')[0]),
      query: PAGES.find((p) => p.name === name).query,
      filterValue: ok.find((r) => r.filter) ? ok.find((r) => r.filter).filter.value : null,
      figures: summarize(ok) };
  }
  if (args.site) summary.site = JSON.parse(await fs.readFile(args.site, 'utf8'));
  await fs.writeFile(path.join(args.out, 'summary.json'), JSON.stringify(summary, null, 1));
  const failed = Object.values(summary.pages).some((p) => p.runsOk === 0);
  if (failed) process.exitCode = 1;
}

// ---------------------------------------------------------------------------------------------
function fmtMs(f, capMs) {
  if (!f) return '–';
  if (f.median === null) return `> ${capMs / 1000} s`;
  return String(Math.round(f.median));
}
function fmtInp(f) {
  if (!f) return '–';
  if (f.median === null) return '–';
  return f.median === 0 ? '< 16' : String(Math.round(f.median));
}
const thousands = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

async function report(args, files) {
  const machine = JSON.parse(await fs.readFile(args.machine, 'utf8'));
  const sums = [];
  for (const f of files) sums.push(JSON.parse(await fs.readFile(f, 'utf8')));
  const L = [];
  L.push(`# Browser benchmark: the tables of \`/\` and \`/events/\``, '');
  L.push(`${machine.date}. Machine: ${machine.cpu}, ${machine.nproc} cores (shared with other work: figures are noisy), ` +
    `${machine.ram_gb} GB RAM, ${machine.os}, load average ${(machine.loadavg || []).join(' ')} at the end. Browser: ${sums[0] ? sums[0].browser : '?'} (${machine.chromium}), headless, ` +
    `no CPU or network throttling, 1440×900, cache disabled, served gzip from 127.0.0.1 (bench/browser/serve.mjs). ` +
    `Binary: ${machine.binary}. Medians of ${sums[0] ? sums[0].runs : '?'} runs (min–max and every run in the JSON next to it).`, '');
  L.push('| site | definitions (metrics + events) | output | files | `/` HTML raw / gzip | `/events/` HTML raw / gzip |');
  L.push('| --- | --- | ---: | ---: | ---: | ---: |');
  const mb = (b) => (b == null ? '–' : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${Math.round(b / 1e3)} KB`);
  for (const s of sums) {
    const site = s.site || {};
    const h = (p) => { const fg = s.pages[p] && s.pages[p].figures; return fg ? `${mb(fg.htmlRawBytes && fg.htmlRawBytes.median)} / ${mb(fg.htmlGzipBytes && fg.htmlGzipBytes.median)}` : '–'; };
    L.push(`| ${s.label} | ${site.metrics != null ? `${thousands(site.metrics)} + ${thousands(site.events)}` : '–'} | ` +
      `${site.bytes != null ? mb(site.bytes) : '–'} | ${site.files != null ? thousands(site.files) : '–'} | ${h('/')} | ${h('/events/')} |`);
  }
  L.push('');
  L.push('| site | page | DOM elements | transferred KB (gzip) | FCP ms | main-thread busy ms | idle at ms | keystroke INP ms | typed-query settle ms | filter settle ms | filter→All settle ms | clear settle ms | long tasks (nav / type / filter+All / clear) |');
  L.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const s of sums) {
    for (const [name, p] of Object.entries(s.pages)) {
      const g = p.figures || {};
      const m = (k) => (g[k] && g[k].median != null ? Math.round(g[k].median) : '–');
      if (!p.runsOk) { L.push(`| ${s.label} | \`${name}\` | failed: ${(p.errors[0] || '').replace(/\|/g, '\\|')} |`); continue; }
      const lt = `${m('navLongTasks')} / ${m('typeLongTasks')} / ${g.filterLongTasks ? m('filterLongTasks') + '+' + m('filterAllLongTasks') : '–'} / ${m('clearLongTasks')}`;
      L.push(`| ${s.label} | \`${name}\` | ${thousands(m('domElements'))} | ${g.transferredBytes ? Math.round(g.transferredBytes.median / 1024) : '–'} | ` +
        `${m('fcpMs')} | ${m('busyMs')} | ${m('idleAtMs')} | ${fmtInp(g.keyInpMs)} | ${fmtMs(g.typeSettleMs, s.capMs)} | ` +
        `${fmtMs(g.filterSettleMs, s.capMs)} | ${fmtMs(g.filterAllSettleMs, s.capMs)} | ${fmtMs(g.clearSettleMs, s.capMs)} | ${lt} |`);
    }
  }
  L.push('');
  // 20k against 5k ("20k figures within 1.5x of 5k").
  const big = sums.find((x) => x.label === '20000'), small = sums.find((x) => x.label === '5000');
  if (big && small) {
    const keys = [['busyMs', 'busy'], ['idleAtMs', 'idle at'], ['keyInpMs', 'INP'], ['typeSettleMs', 'typed'],
      ['filterSettleMs', 'filter'], ['filterAllSettleMs', '→All'], ['clearSettleMs', 'clear']];
    const parts = [];
    for (const name of Object.keys(big.pages)) {
      const gb = (big.pages[name] || {}).figures || {}, gs = ((small.pages[name] || {}).figures) || {};
      const r = keys.map(([k, t]) => {
        const x = gb[k] && gb[k].median, y = gs[k] && gs[k].median;
        return x && y ? `${t} ×${(x / y).toFixed(1)}` : null;
      }).filter(Boolean);
      if (r.length) parts.push(`\`${name}\` ${r.join(', ')}`);
    }
    if (parts.length) L.push(`20k against 5k (goal: within ×1.5): ${parts.join('; ')}.`, '');
  }
  const q = PAGES.map((p) => `\`${p.name}\`: "${p.query}", filter category ` + (p.filter ? `"${p.filter}"` : 'the option with the largest count (' +
    sums.map((x) => (x.pages[p.name] || {}).filterValue).filter((v, i, a) => v && a.indexOf(v) === i).map((v) => `"${v}"`).join(', ') + ')')).join('; ');
  L.push(`Interactions: ${q}. Goals: keystroke INP ≤ 100 ms; typed-query settle ≤ 150 ms; filter and back to All ≤ 150 ms; ` +
    'idle at ≤ 1,000 ms; FCP no later than round one; 20k within 1.5× of 5k. How each figure is taken: bench/browser/README.md.');
  L.push('');
  await fs.writeFile(args.out, L.join('\n'));
  await fs.writeFile(args.out.replace(/\.md$/, '') + '.json', JSON.stringify({ machine, sizes: sums }, null, 1));
  process.stdout.write(L.join('\n'));
}

// ---------------------------------------------------------------------------------------------
const [cmd, ...rest] = process.argv.slice(2);
const args = {}; const files = [];
for (let i = 0; i < rest.length; i++) {
  if (rest[i].startsWith('--')) args[rest[i].slice(2)] = rest[++i]; else files.push(rest[i]);
}
if (cmd === 'measure') await measure(args);
else if (cmd === 'report') await report(args, files);
else { console.error('usage: node measure.mjs measure --base URL --label L --runs N --out DIR [--site site.json]\n' +
  '       node measure.mjs report --out results.md --machine machine.json SUMMARY.json...'); process.exit(2); }
