// Runs the site's own static/porter2.js and static/search.js in node over a built site's
// shards, for tests/search.rs: argv[2] = the site folder, argv[3] = a JSON file with an array
// of queries; prints one JSON line per query: {q, ranked: [[ord, score, coverage, exact]…]
// (top 10), suggestion}. Also `stem WORDS_FILE`: prints the stem of every word, one per line;
// `fetches SITE QUERIES_FILE`: for each query as the first of a visit (a fresh engine), prints
// the files it fetched, as {q, files: [path…]} (bench/search_bytes.py sizes them).
'use strict';
const fs = require('fs');
const path = require('path');
const repo = path.resolve(__dirname, '..', '..');

globalThis.window = globalThis;
const load = (f) => new Function('document', fs.readFileSync(path.join(repo, 'static', f), 'utf8'));
load('porter2.js')({});

if (process.argv[2] === 'stem') {
  // No process.exit: it would cut a piped stdout short.
  const words = fs.readFileSync(process.argv[3], 'utf8').split('\n').filter(Boolean);
  process.stdout.write(words.map((w) => globalThis.metricdictStem(w)).join('\n') + '\n');
} else if (process.argv[2] === 'fetches') {
  runQueries(process.argv[3], process.argv[4], true);
} else {
  runQueries(process.argv[2], process.argv[3], false);
}

function runQueries(site, queryFile, perVisit) {
  let fetched = [];
  globalThis.fetch = (url) => {
    const rel = url.replace(/^\//, '');
    fetched.push(rel);
    const file = path.join(site, rel);
    return Promise.resolve(fs.existsSync(file)
      ? { ok: true, status: 200, json: () => Promise.resolve(JSON.parse(fs.readFileSync(file, 'utf8'))) }
      : { ok: false, status: 404, json: () => Promise.reject(new Error('404')) });
  };
  load('search.js')({ currentScript: { getAttribute: () => '/' } });

  (async () => {
    const queries = JSON.parse(fs.readFileSync(queryFile, 'utf8'));
    const out = [];
    for (const q of queries) {
      if (perVisit) {
        load('search.js')({ currentScript: { getAttribute: () => '/' } });
        fetched = [];
        await globalThis.metricdictSearch.search(q, 10);
        out.push(JSON.stringify({ q, files: fetched }));
        continue;
      }
      const r = await globalThis.metricdictSearch.search(q, 10);
      out.push(JSON.stringify({ q, ranked: r.ranked.map((h) => [h.ord, h.score, h.coverage, h.exact]), suggestion: r.suggestion }));
    }
    process.stdout.write(out.join('\n') + '\n');
  })().catch((e) => { console.error(e); process.exit(1); });
}
