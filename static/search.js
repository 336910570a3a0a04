// metricdict static search: the ranking of src/search/rank.rs over the shards the build exports
// from its tantivy index, step for step and in f32 (Math.fround), so the browser ranks as
// `metricdict search` does (tests/search.rs runs this file in node on 300+ queries).
//
// A query is parsed as src/search/query.rs parses it: `name:value` filters; words (letter and
// digit runs, lower-cased, shorter than 40 bytes); stopwords dropped unless nothing else is
// asked; each word a concept standing for its stem (porter2.js, the Snowball English stemmer),
// its synonyms' stems, prefixes while typing, and words one or two typos away.
(function () {
  'use strict';
  var f32 = Math.fround;
  var script = document.currentScript;
  var root = (script && script.getAttribute('data-base')) || '/';
  var dir = root + 'search/shards/';
  var manifest = null;
  var shards = {};
  var enc = new TextEncoder();
  var FILTERS = ['group', 'category', 'tier', 'status', 'identifier', 'classification', 'data_source'];

  function getManifest() {
    if (!manifest) {
      manifest = fetch(dir + 'manifest.json').then(function (r) {
        if (!r.ok) throw new Error('search manifest: ' + r.status);
        return r.json();
      }).then(function (m) {
        m.shardSet = new Set(m.shards);
        m.boosts = m.boosts.map(f32);
        m.norms = m.norms.map(function (n) { return n.map(f32); });
        m.prefix_weight = f32(m.prefix_weight);
        m.fuzzy_weight = f32(m.fuzzy_weight);
        m.stopSet = new Set(m.stopwords);
        return m;
      });
    }
    return manifest;
  }

  // UTF-8 byte order, as Rust orders strings.
  function byteCmp(a, b) {
    if (a === b) return 0;
    var x = enc.encode(a), y = enc.encode(b);
    for (var i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  }

  function chars(s) { return Array.from(s); }

  // src/search/text.rs: words, stem.
  function words(text) {
    var out = [];
    (text.match(/[\p{Alphabetic}\p{N}]+/gu) || []).forEach(function (w) {
      w = w.toLowerCase();
      if (enc.encode(w).length < 40) out.push(w);
    });
    return out;
  }

  function stem(w) {
    if (w.length < 3 || !/^[a-z]+$/.test(w) || !window.metricdictStem) return w;
    return window.metricdictStem(w);
  }

  function phraseStems(p) { return words(p).map(stem); }

  function shardKey(term) {
    var head = chars(term).slice(0, 3).join('');
    if (/^[a-z0-9]+$/.test(head)) return head;
    return 'x' + Array.from(enc.encode(head)).map(function (b) {
      return (b < 16 ? '0' : '') + b.toString(16);
    }).join('');
  }

  function idKey(id) { var w = words(id); return shardKey(w.length ? w[0] : id); }

  // src/search/query.rs: parse.
  function parse(q, m) {
    var text = [], filters = [];
    q.split(/\s+/).filter(Boolean).forEach(function (part) {
      var i = part.indexOf(':');
      var name = i > 0 ? part.slice(0, i).toLowerCase() : '';
      var value = i > 0 ? part.slice(i + 1) : '';
      if (value && FILTERS.indexOf(name) >= 0) filters.push([name, value.toLowerCase()]);
      else text.push(part);
    });
    text = text.join(' ');
    var all = [];
    words(text).forEach(function (w) { if (all.indexOf(w) < 0) all.push(w); });
    var kept = all.every(function (w) { return m.stopSet.has(w); })
      ? all : all.filter(function (w) { return !m.stopSet.has(w); });
    var endsInWord = /[\p{Alphabetic}\p{N}]$/u.test(text);
    var concepts = kept.map(function (w, i) {
      return { word: w, stem: stem(w), synonyms: [],
        prefix: endsInWord && i + 1 === kept.length && chars(w).length >= m.prefix_min };
    });
    var stems = concepts.map(function (c) { return c.stem; });
    m.synonyms.forEach(function (group) {
      group.forEach(function (member, mi) {
        if (!member.length || member.length > stems.length) return;
        for (var start = 0; start + member.length <= stems.length; start++) {
          var same = member.every(function (s, k) { return stems[start + k] === s; });
          if (!same) continue;
          group.forEach(function (other, oi) {
            if (oi === mi) return;
            other.forEach(function (s) {
              for (var k = start; k < start + member.length; k++) {
                var c = concepts[k];
                if (s !== c.stem && c.synonyms.indexOf(s) < 0) c.synonyms.push(s);
              }
            });
          });
        }
      });
    });
    return { concepts: concepts, exact: text.trim().toLowerCase(), filters: filters, text: text };
  }

  function shard(m, key) {
    if (!m.shardSet.has(key)) return Promise.resolve(null);
    if (!shards[key]) {
      shards[key] = fetch(dir + key + '.json').then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (s) { s.t = s.t || {}; s.w = s.w || []; s.i = s.i || {}; s.terms = Object.keys(s.t).sort(byteCmp); }
          return s;
        });
    }
    return shards[key];
  }

  // src/search/near.rs: a word's deletion keys and the bucket a key is filed in.
  function nearKeys(word) {
    if (word.length < 4 || !/^[a-z]+$/.test(word)) return [];
    var head = word.slice(0, 4), keys = [];
    for (var i = 0; i < 4; i++) keys.push(head.slice(0, i) + head.slice(i + 1));
    return Array.from(new Set(keys)).sort(byteCmp);
  }

  function nearBucket(key, n) {
    var h = 0x811c9dc5, b = enc.encode(key);
    for (var i = 0; i < b.length; i++) { h ^= b[i]; h = Math.imul(h, 0x01000193) >>> 0; }
    return h % Math.max(n, 1);
  }

  var near = {};
  function nearFile(b) {
    if (!near[b]) {
      near[b] = fetch(dir + 'near/' + b + '.json').then(function (r) { return r.ok ? r.json() : null; })
        .catch(function () { return null; });
    }
    return near[b];
  }

  // Dictionary words filed under the deletion keys of `word`.
  function nearWords(word, m) {
    if (!m.near) return Promise.resolve([]);
    var keys = nearKeys(word);
    return Promise.all(keys.map(function (k) { return nearFile(nearBucket(k, m.near)); })).then(function (got) {
      var out = [];
      keys.forEach(function (k, i) {
        var n = got[i];
        if (n && n.k && Object.prototype.hasOwnProperty.call(n.k, k)) out = out.concat(n.k[k]);
      });
      return out;
    });
  }

  // Optimal string alignment distance by characters (strsim::osa_distance).
  function editDistance(a, b) {
    a = chars(a); b = chars(b);
    var prev2 = null, prev = [], cur, i, j;
    for (j = 0; j <= b.length; j++) prev.push(j);
    for (i = 1; i <= a.length; i++) {
      cur = [i];
      for (j = 1; j <= b.length; j++) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        var d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
        cur.push(d);
      }
      prev2 = prev; prev = cur;
    }
    return prev[b.length];
  }

  // Every shard a query may need, fetched at once: each word's and stem's, each synonym's,
  // and the exact text's. Stems found by prefix or typo are fetched when needed.
  function load(m, keys) {
    var uniq = Array.from(new Set(keys));
    return Promise.all(uniq.map(function (k) { return shard(m, k); })).then(function (got) {
      var map = {};
      uniq.forEach(function (k, i) { map[k] = got[i]; });
      return map;
    });
  }

  function Shards(m, map) {
    this.m = m; this.map = map;
  }
  Shards.prototype.get = function (key) {
    var self = this;
    if (key in this.map) return Promise.resolve(this.map[key]);
    return shard(this.m, key).then(function (s) { self.map[key] = s; return s; });
  };
  Shards.prototype.hasTerm = function (t) {
    return this.get(shardKey(t)).then(function (s) { return !!(s && Object.prototype.hasOwnProperty.call(s.t, t)); });
  };

  // src/search/rank.rs: alternatives.
  function alternatives(c, m, sh) {
    var alts = [];
    function add(term, weight) {
      for (var i = 0; i < alts.length; i++) if (alts[i][0] === term) { alts[i][1] = Math.max(alts[i][1], weight); return; }
      alts.push([term, weight]);
    }
    var direct = false;
    var own = [c.stem].concat(c.synonyms);
    return Promise.all(own.map(function (t) { return sh.hasTerm(t); })).then(function (has) {
      own.forEach(function (t, i) { if (has[i]) { direct = true; add(t, 1); } });
      return sh.get(shardKey(c.word));
    }).then(function (home) {
      var step = Promise.resolve();
      if (c.prefix && home) {
        var found = home.terms.filter(function (t) { return t.indexOf(c.word) === 0 || t.indexOf(c.stem) === 0; });
        home.w.forEach(function (w) { if (w.indexOf(c.word) === 0) found.push(stem(w)); });
        found = Array.from(new Set(found)).sort(byteCmp).slice(0, m.prefix_expansions);
        step = Promise.all(found.map(function (t) { return sh.hasTerm(t); })).then(function (has) {
          found.forEach(function (t, i) { if (has[i]) add(t, m.prefix_weight); });
        });
      }
      return step.then(function () {
        var n = chars(c.word).length;
        if (direct || alts.length || n < m.fuzzy_min) return [alts, null];
        return corrections(c.word, n >= m.fuzzy_two ? 2 : 1, home, m, sh).then(function (found) {
          found.terms.forEach(function (t) { add(t, m.fuzzy_weight); });
          return [alts, found.best];
        });
      });
    });
  }

  // Terms a misspelt word may stand for (words `max` edits away in its shard and its typo
  // neighbourhood), and the closest word.
  function corrections(word, max, home, m, sh) {
    var n = chars(word).length;
    return nearWords(word, m).then(function (nearby) {
      var own = home ? home.terms.concat(home.w) : [];
      var vocabulary = Array.from(new Set(own.concat(nearby))).sort(byteCmp);
      var candidates = [];
      vocabulary.forEach(function (v) {
        if (Math.abs(chars(v).length - n) > max) return;
        var d = editDistance(word, v);
        if (d === 0 || d > max) return;
        candidates.push([v, d, stem(v)]);
      });
      return Promise.all(candidates.map(function (x) { return sh.hasTerm(x[2]); })).then(function (has) {
        var best = null, terms = [];
        candidates.forEach(function (x, i) {
          if (!has[i]) return;
          terms.push(x[2]);
          if (!best || x[1] < best[1]) best = x;
        });
        return { terms: terms, best: best ? best[0] : null };
      });
    });
  }

  // src/search/rank.rs: term_scores.
  function termScores(term, weight, m, sh) {
    return sh.get(shardKey(term)).then(function (s) {
      var scores = new Map();
      var byField = s && Object.prototype.hasOwnProperty.call(s.t, term) ? s.t[term] : null;
      if (!byField) return scores;
      m.boosts.forEach(function (boost, fi) {
        var p = byField[fi];
        if (!p) return;
        var w = f32(f32(p.w) * boost), norms = m.norms[fi], ord = 0;
        for (var j = 0; j < p.d.length; j++) {
          ord += p.d[j];
          var tf = p.tf[j];
          var sc = f32(w * f32(tf / f32(tf + norms[p.fn[j]])));
          scores.set(ord, f32((scores.get(ord) || 0) + sc));
        }
      });
      scores.forEach(function (v, k) { scores.set(k, f32(v * weight)); });
      return scores;
    });
  }

  /** `{ranked: [{ord, score, coverage, exact}], suggestion, filters}` for a query, best first. */
  function search(q, limit) {
    return getManifest().then(function (m) {
      var parsed = parse(q, m);
      var keys = [];
      parsed.concepts.forEach(function (c) {
        keys.push(shardKey(c.word), shardKey(c.stem));
        c.synonyms.forEach(function (s) { keys.push(shardKey(s)); });
      });
      if (parsed.exact) keys.push(idKey(parsed.exact));
      return load(m, keys).then(function (map) {
        var sh = new Shards(m, map);
        var total = new Map();
        var corrections = [];
        var chain = Promise.resolve();
        parsed.concepts.forEach(function (c) {
          chain = chain.then(function () { return alternatives(c, m, sh); }).then(function (r) {
            if (r[1]) corrections.push([c.word, r[1]]);
            var best = new Map();
            return r[0].reduce(function (p, alt) {
              return p.then(function () { return termScores(alt[0], f32(alt[1]), m, sh); }).then(function (scores) {
                scores.forEach(function (s, ord) { best.set(ord, Math.max(best.has(ord) ? best.get(ord) : 0, s)); });
              });
            }, Promise.resolve()).then(function () {
              best.forEach(function (s, ord) {
                var e = total.get(ord) || [0, 0];
                e[0] = f32(e[0] + s);
                if (s > 0) e[1] += 1;
                total.set(ord, e);
              });
            });
          });
        });
        return chain.then(function () {
          return parsed.exact ? sh.get(idKey(parsed.exact)) : null;
        }).then(function (s) {
          var exact = s && Object.prototype.hasOwnProperty.call(s.i, parsed.exact) ? s.i[parsed.exact] : [];
          exact.forEach(function (ord) { if (!total.has(ord)) total.set(ord, [0, 0]); });
          var ranked = [];
          total.forEach(function (e, ord) {
            ranked.push({ ord: ord, score: e[0], coverage: e[1], exact: exact.indexOf(ord) >= 0 });
          });
          ranked.sort(function (a, b) {
            return (b.exact - a.exact) || (b.coverage - a.coverage) || (b.score - a.score) || (a.ord - b.ord);
          });
          if (limit) ranked = ranked.slice(0, limit);
          var suggestion = null;
          if (corrections.length) {
            suggestion = words(parsed.exact).map(function (w) {
              for (var i = 0; i < corrections.length; i++) if (corrections[i][0] === w) return corrections[i][1];
              return w;
            }).join(' ');
          }
          return { ranked: ranked, suggestion: suggestion, filters: parsed.filters, words: words(parsed.text) };
        });
      });
    });
  }

  window.metricdictSearch = { search: search, words: words, stem: stem, parse: function (q) {
    return getManifest().then(function (m) { return parse(q, m); });
  } };
})();
