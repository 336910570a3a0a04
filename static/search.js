// metricdict static search: scores the shards exported from the build's tantivy index with
// tantivy's BM25 arithmetic (f32, same operations), so results rank as `metricdict search` does.
// Query semantics (see src/search.rs): tokens split on non-alphanumerics and lower-cased; every
// token must match in some field; the last token also matches as a prefix when the query does
// not end in a space and it has at least `prefix_min` characters.
(function () {
  'use strict';
  var f32 = Math.fround;
  var script = document.currentScript;
  var root = (script && script.getAttribute('data-base')) || '/';
  var dir = root + 'search/shards/';
  var manifest = null;
  var shards = {};

  function getManifest() {
    if (!manifest) {
      manifest = fetch(dir + 'manifest.json').then(function (r) {
        if (!r.ok) throw new Error('search manifest: ' + r.status);
        return r.json();
      }).then(function (m) {
        m.shardSet = new Set(m.shards);
        m.boosts = m.boosts.map(f32);
        m.norms = m.norms.map(function (n) { return n.map(f32); });
        return m;
      });
    }
    return manifest;
  }

  // Same tokens as tantivy's default tokenizer: alphanumeric runs, lower-cased, < 40 bytes.
  function tokenize(q) {
    var out = [];
    (q.match(/[\p{L}\p{N}]+/gu) || []).forEach(function (t) {
      t = t.toLowerCase();
      if (new TextEncoder().encode(t).length < 40 && out.indexOf(t) < 0) out.push(t);
    });
    return out;
  }

  function shardKey(term) {
    var head = Array.from(term).slice(0, 3).join('');
    if (/^[a-z0-9]+$/.test(head)) return head;
    return 'x' + Array.from(new TextEncoder().encode(head)).map(function (b) {
      return (b < 16 ? '0' : '') + b.toString(16);
    }).join('');
  }

  function shard(m, key) {
    if (!m.shardSet.has(key)) return Promise.resolve(null);
    if (!shards[key]) {
      shards[key] = fetch(dir + key + '.json').then(function (r) { return r.ok ? r.json() : null; });
    }
    return shards[key];
  }

  // Terms of a shard in dictionary (byte) order, computed once per shard.
  function sortedTerms(s) {
    if (!s.__terms) {
      var enc = new TextEncoder();
      s.__terms = Object.keys(s).filter(function (k) { return k !== '__terms'; }).sort(function (a, b) {
        var x = enc.encode(a), y = enc.encode(b);
        for (var i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
        return x.length - y.length;
      });
    }
    return s.__terms;
  }

  /** Ranked `[{ord, score}]` for a query, best first. */
  function search(q, limit) {
    var tokens = tokenize(q);
    if (!tokens.length) return Promise.resolve([]);
    var last = tokens[tokens.length - 1];
    return getManifest().then(function (m) {
      var prefixLast = /[\p{L}\p{N}]$/u.test(q) && Array.from(last).length >= m.prefix_min;
      return Promise.all(tokens.map(function (t) { return shard(m, shardKey(t)); })).then(function (loaded) {
        var total = null;
        tokens.forEach(function (token, i) {
          var s = loaded[i];
          var prefix = prefixLast && i === tokens.length - 1;
          var scores = new Map();
          if (s) {
            m.boosts.forEach(function (boost, fi) {
              var terms = prefix
                ? sortedTerms(s).filter(function (t) { return t.indexOf(token) === 0 && s[t][fi]; }).slice(0, m.prefix_expansions)
                : (s[token] && s[token][fi] ? [token] : []);
              terms.forEach(function (t) {
                var p = s[t][fi], w = f32(f32(p.w) * boost), norms = m.norms[fi], ord = 0;
                for (var j = 0; j < p.d.length; j++) {
                  ord += p.d[j];
                  var tf = p.tf[j];
                  var sc = f32(w * f32(tf / f32(tf + norms[p.fn[j]])));
                  scores.set(ord, f32((scores.get(ord) || 0) + sc));
                }
              });
            });
          }
          if (total === null) total = scores;
          else {
            var next = new Map();
            total.forEach(function (v, ord) { if (scores.has(ord)) next.set(ord, f32(v + scores.get(ord))); });
            total = next;
          }
        });
        var ranked = [];
        total.forEach(function (score, ord) { ranked.push({ ord: ord, score: score }); });
        ranked.sort(function (a, b) { return b.score - a.score || a.ord - b.ord; });
        return limit ? ranked.slice(0, limit) : ranked;
      });
    });
  }

  window.metricdictSearch = { search: search, tokenize: tokenize };
})();
