/* metricdict: live filtering for the metric/event tables. Vanilla ES2017, no dependencies.
 * Each table lives in a `.dict-box[data-table]` container and is filtered independently.
 * A container with `data-sync` reads its state from, and writes it back to, the page URL. */
(function () {
  'use strict';

  var P = window.metricdictPage; // static/page.js

  var STORE = 'metricdict.cols.';
  // Filters that can be written in the search box (src/search/query.rs).
  var QUERY_FILTERS = ['group', 'category', 'tier', 'status', 'identifier', 'classification', 'data_source'];
  var boxes = [];
  var colStyle = null;

  // "a|b" or "a,b" -> ['a', 'b'] (lower-cased, trimmed, no empties)
  function list(s, sep) {
    return String(s || '').split(sep).map(function (x) { return x.trim().toLowerCase(); })
      .filter(function (x) { return x !== ''; });
  }

  // 2750 -> "2,750", as the page's own count (render::jobs) writes it.
  function fmt(n) { return Number(n).toLocaleString('en-US'); }
  // The build's time, as the footer states it (exports are named after it).
  function buildTime() {
    var t = document.querySelector('.site-footer time[datetime]');
    return t ? t.getAttribute('datetime') : '';
  }

  // Comma-separated filter value -> accepted values (the whole value too, in case it contains a comma).
  function wanted(v) {
    var parts = list(v, ',');
    var whole = String(v).trim().toLowerCase();
    if (parts.length > 1 && whole) parts.push(whole);
    return parts;
  }

  function hasOption(sel, v) {
    var lv = v.trim().toLowerCase();
    return Array.prototype.some.call(sel.options, function (o) { return o.value.toLowerCase() === lv; });
  }

  function setSelect(sel, v) {
    var lv = v.toLowerCase();
    var opt = Array.prototype.find.call(sel.options, function (o) { return o.value.toLowerCase() === lv; });
    if (!opt) {
      opt = new Option(v, v);
      sel.appendChild(opt);
    }
    sel.value = opt.value;
  }

  // Rows are drawn on demand: the first FIRST of the current results, then MORE at a time as
  // the reader scrolls, prints or finds (Ctrl+F), so a keystroke costs the same at 5,000 rows
  // as at 500. The rows come from the table's data file (layout::TABLE_DATA).
  var FIRST = 100;
  var MORE = 200;

  // A table's rows: from its data file, or (when that cannot be fetched, e.g. from file://)
  // from the rows the page carries.
  function tableRows(box, kind, data, params) {
    if (data) {
      return data.rows.map(function (d, i) {
        var f = {};
        Object.keys(d.f || {}).forEach(function (p) { f[p] = list(d.f[p], '|'); });
        var text = Object.keys(d).map(function (k) {
          var v = d[k];
          return k === 'url' || k === 'f' ? '' : Array.isArray(v) ? v.join(' ') : typeof v === 'string' ? v : '';
        });
        return { d: d, i: i, ord: d.ord, f: f, search: text.join(' ').toLowerCase(), removed: !!d.removed, tr: null };
      });
    }
    return Array.prototype.map.call(box.querySelectorAll('table tbody tr'), function (tr, i) {
      var f = {};
      params.forEach(function (_, p) { f[p] = list(tr.getAttribute('data-f-' + p), '|'); });
      return { d: null, i: i, ord: Number(tr.getAttribute('data-ord')), f: f, search: tr.textContent.toLowerCase(), removed: tr.getAttribute('data-removed') === 'true', tr: tr };
    });
  }

  function setup(box, data) {
    var R = window.metricdictRows; // static/rows.js, loaded by the pages with a table
    var el = R.el;
    var Csv = R.Csv;
    var kind = box.getAttribute('data-table');
    var noun = box.getAttribute('data-noun') || kind;
    var base = box.getAttribute('data-base') || '';
    var sync = box.hasAttribute('data-sync');
    var form = box.querySelector('form.filters');
    var q = box.querySelector('.fb-q');
    var toggle = box.querySelector('.fb-removed');
    var toggleLabel = box.querySelector('.fb-removed-label');
    var count = box.querySelector('.fb-count');
    var empty = box.querySelector('.empty');
    var table = box.querySelector('table.dict');
    var tbody = box.querySelector('table tbody');
    var layer = box.querySelector('.find-layer');
    var clears = Array.prototype.slice.call(box.querySelectorAll('.fb-clear'));
    var selects = Array.prototype.slice.call(box.querySelectorAll('select[data-param]'));
    var cols = Array.prototype.slice.call(box.querySelectorAll('.fb-cols input[data-col]'));
    var draw = kind === 'events' ? R.drawEvent : R.drawMetric;
    var versionSelect = box.querySelector('select[data-param=version]');

    // Known filter params (lower-case -> name as written in the URL): the selects, plus every
    // filter the rows carry.
    var params = new Map();
    selects.forEach(function (s) { params.set(s.getAttribute('data-param').toLowerCase(), s.getAttribute('data-param')); });
    var sample = data && data.rows[0] ? Object.keys(data.rows[0].f || {}) : [];
    var firstTr = box.querySelector('table tbody tr');
    if (!data && firstTr) {
      Array.prototype.forEach.call(firstTr.attributes, function (a) {
        if (a.name.indexOf('data-f-') === 0) sample.push(a.name.slice(7));
      });
    }
    sample.forEach(function (p) { if (!params.has(p)) params.set(p, p); });

    var rows = tableRows(box, kind, data, params);
    // Events: `category` also matches the classification (e.g. ?category=duo).
    if (kind === 'events') rows.forEach(function (r) { r.f.category = (r.f.category || []).concat(r.f.classification || []); });
    // The rows the page carries are reused as they are.
    if (data) {
      var byOrd = new Map(rows.map(function (r) { return [r.ord, r]; }));
      Array.prototype.forEach.call(tbody.querySelectorAll('tr[data-ord]'), function (tr) {
        var r = byOrd.get(Number(tr.getAttribute('data-ord')));
        if (r) r.tr = tr;
      });
    }
    var removedTotal = rows.filter(function (r) { return r.removed; }).length;
    var activeTotal = rows.length - removedTotal;
    if (toggleLabel) toggleLabel.textContent = 'Show ' + removedTotal + ' removed';
    if (toggle) toggle.closest('label').hidden = removedTotal === 0;
    var note = box.querySelector('.first-rows');
    if (note && data) note.hidden = true;

    var extra = {}; // URL filters on known params that have no select: lower-case name -> [name, value]
    var selectFor = function (lp) {
      return selects.find(function (s) { return s.getAttribute('data-param').toLowerCase() === lp; });
    };

    if (sync) {
      new URLSearchParams(location.search).forEach(function (v, k) {
        var lk = k.toLowerCase();
        if (lk === 'q') { if (q) q.value = v; }
        else if (lk === 'removed') { if (toggle) toggle.checked = v === '1' || v === 'true'; }
        else if (params.has(lk) && v.trim()) {
          var sel = selectFor(lk);
          // `/events/?category=duo` (a classification, as GitLab's dictionary links it) sets
          // the Classification select rather than inventing a Snowplow category.
          var cls = kind === 'events' && lk === 'category' && sel && !hasOption(sel, v) ? selectFor('classification') : null;
          if (lk === 'version' && !hasOption(sel, v)) return; // only versions the dictionary knows
          if (cls && hasOption(cls, v)) setSelect(cls, v.trim());
          else if (sel) setSelect(sel, v.trim()); else extra[lk] = [k, v.trim()];
        }
      });
    }

    function state() {
      var f = {};
      Object.keys(extra).forEach(function (k) { f[k] = wanted(extra[k][1]); });
      var ver = null;
      selects.forEach(function (s) {
        s.classList.toggle('active', s.value !== '');
        var p = s.getAttribute('data-param').toLowerCase();
        if (p === 'version') ver = R.version(s.value);
        else if (s.value) f[p] = wanted(s.value);
      });
      var since = ver ? R.version(new URLSearchParams(location.search).get('since')) : null;
      // `group:code_review` in the box filters like the Group select.
      var text = [];
      list(q ? q.value : '', /\s+/).forEach(function (part) {
        var i = part.indexOf(':');
        var name = i > 0 ? part.slice(0, i) : '';
        if (i > 0 && part.slice(i + 1) && QUERY_FILTERS.indexOf(name) >= 0 && params.has(name)) {
          f[name] = (f[name] || []).concat(wanted(part.slice(i + 1)));
        } else {
          text.push(part);
        }
      });
      return {
        terms: text,
        text: text.join(' '),
        f: f,
        version: ver,
        since: since,
        removed: !!(toggle && toggle.checked) || (f.status || []).indexOf('removed') >= 0
      };
    }

    // "Did you mean": a link to the query with the misspelt words corrected.
    function suggest(text) {
      var at = box.querySelector('.fb-suggest');
      if (!at && count) {
        at = document.createElement('span');
        at.className = 'fb-suggest';
        count.insertAdjacentElement('afterend', at);
      }
      if (!at) return;
      at.textContent = '';
      if (!text) return;
      var a = document.createElement('a');
      var u = new URL(location.href);
      u.searchParams.set('q', text);
      a.href = u.pathname + u.search;
      a.textContent = text;
      a.addEventListener('click', function (e) { e.preventDefault(); q.value = text; apply(); });
      at.append('Did you mean ', a, '?');
    }

    function matches(r, st, ranked) {
      if (st.version) {
        // What the version reports, removed or not; with `since`, what changed between them.
        var now = R.reportedBy(r, st.version);
        r.maybe = now === 1;
        if (st.since) {
          var then = R.reportedBy(r, st.since);
          if (!((then !== 2 && now === 2) || (then === 2 && now === 0))) return false;
        } else if (now === 0) return false;
      } else if (r.removed && !st.removed) return false;
      for (var k in st.f) {
        var want = st.f[k], have = r.f[k] || [];
        if (want.length && !want.some(function (w) { return have.indexOf(w) >= 0; })) return false;
      }
      if (!ranked) for (var i = 0; i < st.terms.length; i++) if (r.search.indexOf(st.terms[i]) < 0) return false;
      return true;
    }

    function writeUrl() {
      var out = new URLSearchParams();
      var qv = q ? q.value.trim() : '';
      if (qv) out.set('q', qv);
      selects.forEach(function (s) { if (s.value) out.set(s.getAttribute('data-param'), s.value); });
      Object.keys(extra).forEach(function (k) { out.set(extra[k][0], extra[k][1]); });
      if (toggle && toggle.checked) out.set('removed', '1');
      new URLSearchParams(location.search).forEach(function (v, k) { // keep params we don't own
        var lk = k.toLowerCase();
        if (v && lk !== 'q' && lk !== 'removed' && !params.has(lk)) out.append(k, v);
      });
      var s = out.toString().replace(/%2C/gi, ',').replace(/%3A/gi, ':');
      var url = location.pathname + (s ? '?' + s : '') + location.hash;
      if (url !== location.pathname + location.search + location.hash) {
        try { history.replaceState(history.state, '', url); } catch (e) { /* file:// etc. */ }
      }
    }

    var versionOn = false;
    var view = [];   // the rows that match, in the order shown
    var drawn = 0;   // how many of them are in the table
    var rank = null; // ord -> hit, while a query ranks the rows
    var words = [];
    var seq = 0;
    var layerFor = null; // the view the find layer was built for

    function trOf(r) {
      if (!r.tr) {
        r.tr = draw(r.d, base);
        P.addBreaks(r.tr);
      }
      if (queriesUrl && r.d && !r.tr.querySelector('.row-query')) {
        var b = el('button', 'btn btn-quiet row-query', 'Copy query');
        b.type = 'button';
        b.setAttribute('aria-label', 'Copy query for ' + (r.d.key_path || r.d.id));
        b.addEventListener('click', function () {
          queryFor(r.d).then(function (text) { return navigator.clipboard.writeText(text); }).then(function () {
            b.textContent = 'Copied';
            setTimeout(function () { b.textContent = 'Copy query'; }, 1500);
          }, function () { b.textContent = 'No query'; });
        });
        r.tr.querySelector('td').append(' ', b);
      }
      return r.tr;
    }

    // "Copy query": the definition page's queries (src/render/queries.rs), filled here from
    // the published templates (queries.json) with the same quoting (page.js): every value a
    // whole Snowflake string literal, `\` doubled, then `'`, control characters escaped.
    var queriesUrl = box.getAttribute('data-queries');
    var queries = null;
    function queryFor(d) {
      if (!queries) queries = fetch(queriesUrl).then(function (r) { if (!r.ok) throw new Error(queriesUrl); return r.json(); });
      return queries.then(function (q) { return R.queryText(q.templates || {}, kind, d); });
    }

    // Draw `n` more rows of the view (a new table when `fresh`).
    function drawMore(n, fresh) {
      var frag = document.createDocumentFragment();
      var upto = Math.min(view.length, drawn + n);
      for (var k = drawn; k < upto; k++) {
        var r = view[k];
        var tr = trOf(r);
        tr.setAttribute('aria-rowindex', String(k + 2));
        if (r.maybe && versionOn) { tr.classList.add('maybe'); tr.title = 'May be reported: the definition does not say exactly when it was added or removed'; }
        else if (tr.classList.contains('maybe')) { tr.classList.remove('maybe'); tr.removeAttribute('title'); }
        if (rank) {
          tr.setAttribute('data-search-result', tr.getAttribute('data-key'));
          tr.setAttribute('data-search-score', String(rank.get(r.ord).score));
        } else if (tr.hasAttribute('data-search-result')) {
          tr.removeAttribute('data-search-result');
          tr.removeAttribute('data-search-score');
        }
        frag.appendChild(tr);
      }
      if (fresh) tbody.replaceChildren(frag); else tbody.appendChild(frag);
      drawn = upto;
      if (layer && !fresh) {
        while (layer.firstChild && Number(layer.firstChild.getAttribute('data-i')) < drawn && layer.firstChild !== found) layer.firstChild.remove();
      }
      if (rank && drawn <= 300) P.highlight(view.slice(0, drawn), words);
      if (watcher && drawn < view.length) { watcher.unobserve(layer); watcher.observe(layer); }
    }

    // Browser find (Ctrl+F) searches text in the page, so the results not drawn yet are in the
    // page as `hidden="until-found"` text: found, they are drawn and scrolled to.
    var found = null;
    // Filled at once on Ctrl/Cmd+F (and before printing), otherwise a slice at a time in idle
    // time once the reader has stopped typing: it changes nothing they see, and must not delay
    // what they do see.
    function layerDiv(k) {
      var d = view[k].d;
      var div = document.createElement('div');
      div.setAttribute('hidden', 'until-found');
      div.setAttribute('data-i', String(k));
      div.textContent = [d.key_path || d.id, d.category, d.description, d.group, d.data_category, d.status].filter(Boolean).join(' · ');
      return div;
    }
    var filled = 0; // results up to here are drawn or in the layer
    function fillSome(limit) {
      if (!layer || !data) return;
      if (layerFor !== view) { layer.replaceChildren(); layerFor = view; filled = drawn; }
      filled = Math.max(filled, drawn);
      var frag = document.createDocumentFragment();
      var upto = Math.min(view.length, filled + limit);
      for (var k = filled; k < upto; k++) frag.appendChild(layerDiv(k));
      layer.appendChild(frag);
      filled = upto;
    }
    function fillLayer() { fillSome(Infinity); }
    var idle = 0;
    function fillLater() {
      if (idle) clearTimeout(idle);
      if (!window.requestIdleCallback) return;
      idle = setTimeout(function step() {
        idle = 0;
        requestIdleCallback(function (deadline) {
          while (filled < view.length && deadline.timeRemaining() > 4) fillSome(200);
          if (filled < view.length) idle = setTimeout(step, 50);
        });
      }, 2000);
    }
    if (layer) {
      layer.addEventListener('beforematch', function (e) {
        found = e.target;
        var k = Number(found.getAttribute('data-i'));
        if (k >= drawn) drawMore(k + 1 - drawn, false);
        // The found text sits just below its row now; it goes once the reader has seen it.
        setTimeout(function () { if (found) { found.remove(); found = null; } }, 1500);
      });
    }
    var watcher = layer && window.IntersectionObserver ? new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; }) && drawn < view.length) drawMore(MORE, false);
    }, { rootMargin: '0px 0px 1200px 0px' }) : null;

    function countText(n, st) {
      if (st.version) {
        var maybe = view.filter(function (r) { return r.maybe; }).length;
        var v = versionSelect ? versionSelect.value : '';
        var since = new URLSearchParams(location.search).get('since');
        return (since ? fmt(n) + ' ' + noun + ' changed from ' + since + ' to ' + v
          : fmt(n) + ' ' + noun + ' reported by GitLab ' + v) + (maybe ? ' (' + fmt(maybe) + ' may be)' : '') +
          '. An instance sends a definition from the version it was added in; its optional-data opt-out still applies.';
      }
      var filtered = st.terms.length > 0 || Object.keys(st.f).length > 0;
      var total = st.removed ? rows.length : activeTotal;
      if (!filtered) {
        return fmt(total) + ' ' + noun + (st.removed && removedTotal ? ', ' + fmt(removedTotal) + ' of them removed' : '');
      }
      return 'Showing ' + fmt(n) + ' of ' + fmt(total) + ' ' + noun + (rank ? ', best match first' : '');
    }

    function show(st, ranked) {
      rank = ranked;
      versionOn = !!st.version;
      words = rank ? window.metricdictSearch.words(st.text) : [];
      view = rows.filter(function (r) { return matches(r, st, !!rank) && (!rank || rank.has(r.ord)); });
      // The engine's order (static/search.js ranks as src/search/rank.rs: exact names first).
      if (rank) view.sort(function (a, b) { return rank.get(a.ord).pos - rank.get(b.ord).pos; });
      drawn = 0;
      if (data) {
        drawMore(FIRST, true);
      } else { // only the rows the page carries
        rows.forEach(function (r) { r.tr.hidden = view.indexOf(r) < 0; });
        drawn = view.length;
      }
      if (!rank) P.highlight([], []);
      if (table) table.setAttribute('aria-rowcount', String(view.length + 1));
      if (count) count.textContent = countText(view.length, st);
      if (empty) empty.hidden = view.length > 0;
      if (layer) { layer.replaceChildren(); layerFor = null; filled = 0; fillLater(); }
      box.classList.add('ready');
      box.classList.remove('pending');
      return view.length;
    }

    function apply() {
      var st = state();
      var active = st.terms.length > 0 || Object.keys(st.f).length > 0;
      clears.forEach(function (c) { if (c.closest('form')) c.hidden = !active; });
      if (sync) writeUrl();
      var engine = sync && data && window.metricdictSearch && q && st.terms.length > 0;
      if (!engine) return show(st, null);
      var mine = ++seq;
      window.metricdictSearch.search(q.value).then(function (res) {
        if (mine !== seq) return;
        var ranked = new Map();
        res.ranked.forEach(function (h, i) { ranked.set(h.ord, { score: h.score, pos: i }); });
        show(st, ranked);
        suggest(res.suggestion);
      }).catch(function () { if (mine === seq) show(st, null); });
      return -1;
    }

    function clear() {
      if (q) q.value = '';
      selects.forEach(function (s) { s.value = ''; });
      extra = {};
      apply();
      if (q) q.focus();
    }

    if (form) form.addEventListener('submit', function (e) { e.preventDefault(); apply(); });
    // A keystroke paints the typed character first; the table follows in the next task, so a
    // keystroke's input-to-paint time does not include redrawing the rows (INP).
    var typed = 0;
    function applyAfterPaint() {
      if (typed) return;
      typed = requestAnimationFrame(function () { setTimeout(function () { typed = 0; apply(); }, 0); });
    }
    if (q) { q.addEventListener('input', applyAfterPaint); q.addEventListener('search', apply); }
    selects.forEach(function (s) { s.addEventListener('change', apply); });
    if (toggle) toggle.addEventListener('change', apply);
    clears.forEach(function (c) { c.addEventListener('click', clear); });
    var head = box.querySelector('thead tr');
    if (head) head.setAttribute('aria-rowindex', '1');

    // Column chooser. Without a stored choice, the CSS media queries decide; the boxes mirror them.
    var details = box.querySelector('.fb-cols');
    function mirrorCss() {
      if (box.classList.contains('cols-managed')) return;
      cols.forEach(function (c) {
        var th = box.querySelector('th[data-col="' + c.getAttribute('data-col') + '"]');
        c.checked = !th || getComputedStyle(th).display !== 'none';
      });
    }
    var stored = null;
    try { stored = JSON.parse(localStorage.getItem(STORE + kind)); } catch (e) { stored = null; }
    if (Array.isArray(stored)) {
      cols.forEach(function (c) { c.checked = c.disabled || stored.indexOf(c.getAttribute('data-col')) < 0; });
      box.classList.add('cols-managed');
    } else {
      mirrorCss();
    }
    if (details) details.addEventListener('toggle', mirrorCss);
    cols.forEach(function (c) {
      c.addEventListener('change', function () {
        var hidden = cols.filter(function (x) { return !x.checked; }).map(function (x) { return x.getAttribute('data-col'); });
        try { localStorage.setItem(STORE + kind, JSON.stringify(hidden)); } catch (e) { /* private mode */ }
        box.classList.add('cols-managed');
        renderCols();
      });
    });

    // Export exactly the rows shown, in the order shown, as the site's own download has them
    // (same columns, values and stamp: the rows of metrics.csv / metrics.json); the JSON also
    // names the view.
    function exportRows(format) {
      var url = box.getAttribute(format === 'csv' ? 'data-csv' : 'data-json');
      return fetch(url).then(function (r) {
        if (!r.ok) throw new Error(url + ': ' + r.status);
        return format === 'csv' ? r.text() : r.json();
      }).then(function (all) {
        if (format === 'csv') {
          var records = Csv.parse(all);
          if (records.length !== rows.length + 1) throw new Error(url + ' does not match the table');
          return Csv.write([records[0]].concat(view.map(function (r) { return records[r.i + 1]; })));
        }
        var listed = all[kind];
        if (!Array.isArray(listed) || listed.length !== rows.length) throw new Error(url + ' does not match the table');
        var out = { generated: Object.assign({}, all.generated, { view: location.href }), count: view.length };
        out[kind] = view.map(function (r) { return listed[r.i]; });
        return JSON.stringify(out, null, 1) + '\n';
      });
    }
    if (sync && form && box.hasAttribute('data-csv')) {
      var bar = form.querySelector('.fb-row');
      var wrap = document.createElement('span');
      wrap.className = 'fb-export';
      wrap.appendChild(el('span', 'muted', 'Export shown:'));
      ['csv', 'json'].forEach(function (fmt) {
        var btn = el('button', 'btn btn-quiet', fmt.toUpperCase());
        btn.type = 'button';
        btn.setAttribute('aria-label', 'Download the rows shown as ' + fmt.toUpperCase());
        btn.addEventListener('click', function () {
          exportRows(fmt).then(function (text) {
            var blob = new Blob([text], { type: fmt === 'csv' ? 'text/csv' : 'application/json' });
            var a = document.createElement('a');
            a.href = URL.createObjectURL(blob);
            a.download = kind + '-' + (buildTime() || 'export').replace(/[:]/g, '') + '.' + fmt;
            document.body.appendChild(a);
            a.click();
            setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
          });
        });
        wrap.appendChild(btn);
      });
      if (bar) bar.appendChild(wrap);
    }

    return {
      el: box, kind: kind, cols: cols, apply: apply, clear: clear, rows: rows, exportRows: exportRows,
      // Every result, drawn or not (tests and the find layer).
      shownKeys: function () { return view.map(function (r) { return r.d ? (r.d.key_path || r.d.id) : r.tr.getAttribute('data-key'); }); },
      more: function () { if (drawn < view.length) drawMore(MORE, false); return drawn < view.length; },
      drawAll: function () { if (drawn < view.length) drawMore(view.length - drawn, false); },
      find: fillLayer,
      queryFor: function (key) {
        var r = rows.find(function (x) { return x.d && (x.d.key_path || x.d.id) === key; });
        return r ? queryFor(r.d) : Promise.reject(new Error(key));
      }
    };
  }

  // Hidden columns as a constructed stylesheet: the Content-Security-Policy allows no inline
  // <style> element, and a constructed sheet is not one.
  function renderCols() {
    if (!colStyle) {
      colStyle = new CSSStyleSheet();
      document.adoptedStyleSheets = document.adoptedStyleSheets.concat([colStyle]);
    }
    var css = '';
    boxes.forEach(function (b) {
      if (!b.el.classList.contains('cols-managed')) return;
      b.cols.forEach(function (c) {
        if (!c.checked) {
          css += '.dict-box[data-table="' + CSS.escape(b.kind) + '"].cols-managed .dict [data-col="' +
            CSS.escape(c.getAttribute('data-col')) + '"]{display:none}\n';
        }
      });
    });
    colStyle.replaceSync(css);
  }

  function closeMenus(except) {
    Array.prototype.forEach.call(document.querySelectorAll('details.fb-cols[open]'), function (d) {
      if (d !== except) d.open = false;
    });
  }

  function init() {
    P.themeToggle();
    P.copyButtons();
    P.fieldLinks();
    Array.prototype.forEach.call(document.querySelectorAll('.dict-box[data-table]'), function (box) {
      // Until the rows are filtered as the address asks, the page's first rows would mislead.
      if (box.hasAttribute('data-sync') && location.search) box.classList.add('pending');
      var start = function (data) {
        try {
          var b = setup(box, data);
          boxes.push(b);
          b.apply();
          renderCols();
        } catch (e) {
          box.classList.add('ready'); // never leave rows stuck behind the pre-JS CSS
          box.classList.remove('pending');
          if (window.console) console.error(e);
        }
      };
      var url = box.getAttribute('data-rows');
      if (!url) return start(null);
      fetch(url).then(function (r) {
        if (!r.ok) throw new Error(url + ': ' + r.status);
        return r.json();
      }).then(function (data) { start(window.metricdictRows.expand(data)); }, function (e) {
        if (window.console) console.warn('table data unavailable, filtering the rows on the page', e);
        start(null);
      });
    });
    renderCols();
    P.addBreaks(document);

    document.addEventListener('click', function (e) {
      closeMenus(e.target.closest ? e.target.closest('details') : null);
    });
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') {
        var open = document.querySelector('details.fb-cols[open]');
        if (open) { open.open = false; open.querySelector('summary').focus(); }
        return;
      }
      // Arrow keys move between the visible rows of a table (from its search box or a row's
      // link); Enter on a row link opens it, as links do.
      if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && !e.altKey && !e.ctrlKey && !e.metaKey) {
        var from = e.target;
        var box = from && from.closest && from.closest('.dict-box');
        var inRow = from && from.closest && from.closest('tbody tr');
        if (box && (inRow || (from.classList && from.classList.contains('fb-q')))) {
          var visibleLinks = function () {
            return Array.prototype.filter.call(box.querySelectorAll('tbody tr:not([hidden]) a.kp'), function (a) {
              return a.offsetParent !== null;
            });
          };
          var links = visibleLinks();
          if (links.length) {
            var at = inRow ? links.indexOf(inRow.querySelector('a.kp')) : -1;
            var next = e.key === 'ArrowDown' ? at + 1 : at - 1;
            var owner = boxes.find(function (b) { return b.el === box; });
            if (next >= links.length && owner && owner.more()) links = visibleLinks();
            e.preventDefault();
            if (next < 0) { var sq = box.querySelector('.fb-q'); if (sq) sq.focus(); }
            else links[Math.min(next, links.length - 1)].focus();
          }
          return;
        }
      }
      // Browser find: the results not drawn yet must be in the page before the find bar looks.
      if ((e.key === 'f' || e.key === 'F') && (e.ctrlKey || e.metaKey) && !e.altKey) {
        boxes.forEach(function (b) { b.find(); });
        return;
      }
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      var t = e.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      var q = document.querySelector('.fb-q');
      if (!q) return;
      e.preventDefault();
      q.focus();
      q.select();
    });
  }

  // A printout lists every result, not only the rows drawn so far.
  window.addEventListener('beforeprint', function () { boxes.forEach(function (b) { b.drawAll(); }); });

  window.metricdict = {
    boxes: boxes,
    apply: function () { return boxes.map(function (b) { return b.apply(); }); }
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
