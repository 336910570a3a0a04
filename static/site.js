/* metricdict: live filtering for the metric/event tables. Vanilla ES2017, no dependencies.
 * Each table lives in a `.dict-box[data-table]` container and is filtered independently.
 * A container with `data-sync` reads its state from, and writes it back to, the page URL. */
(function () {
  'use strict';

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

  // Comma-separated filter value -> accepted values (the whole value too, in case it contains a comma).
  function wanted(v) {
    var parts = list(v, ',');
    var whole = String(v).trim().toLowerCase();
    if (parts.length > 1 && whole) parts.push(whole);
    return parts;
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

  // Matching words in result rows, highlighted with the CSS Custom Highlight API (no DOM changes;
  // browsers without it simply show no highlight).
  function highlight(resultRows, tokens) {
    if (!window.CSS || !CSS.highlights || typeof Highlight === 'undefined') return;
    var ranges = [];
    if (tokens.length) {
      var re = new RegExp(tokens.map(function (t) { return t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }).join('|'), 'giu');
      resultRows.slice(0, 300).forEach(function (r) {
        var walker = document.createTreeWalker(r.tr, NodeFilter.SHOW_TEXT);
        for (var node = walker.nextNode(); node; node = walker.nextNode()) {
          var m;
          re.lastIndex = 0;
          while ((m = re.exec(node.data)) !== null) {
            var range = new Range();
            range.setStart(node, m.index);
            range.setEnd(node, m.index + m[0].length);
            ranges.push(range);
          }
        }
      });
    }
    CSS.highlights.set('metricdict-hit', new Highlight(...ranges));
  }

  function setup(box) {
    var kind = box.getAttribute('data-table');
    var noun = box.getAttribute('data-noun') || kind;
    var sync = box.hasAttribute('data-sync');
    var form = box.querySelector('form.filters');
    var q = box.querySelector('.fb-q');
    var toggle = box.querySelector('.fb-removed');
    var toggleLabel = box.querySelector('.fb-removed-label');
    var count = box.querySelector('.fb-count');
    var empty = box.querySelector('.empty');
    var clears = Array.prototype.slice.call(box.querySelectorAll('.fb-clear'));
    var selects = Array.prototype.slice.call(box.querySelectorAll('select[data-param]'));
    var cols = Array.prototype.slice.call(box.querySelectorAll('.fb-cols input[data-col]'));
    var trs = Array.prototype.slice.call(box.querySelectorAll('table tbody tr'));

    // Known filter params (lower-case -> name as written in the URL): the selects, plus any data-f-* attribute.
    var params = new Map();
    selects.forEach(function (s) { params.set(s.getAttribute('data-param').toLowerCase(), s.getAttribute('data-param')); });
    if (trs[0]) {
      Array.prototype.forEach.call(trs[0].attributes, function (a) {
        var p = a.name.indexOf('data-f-') === 0 ? a.name.slice(7) : '';
        if (p && !params.has(p)) params.set(p, p);
      });
    }

    var rows = trs.map(function (tr) {
      var f = {};
      params.forEach(function (_, p) { f[p] = list(tr.getAttribute('data-f-' + p), '|'); });
      // Events: `category` also matches the classification (e.g. ?category=duo).
      if (kind === 'events') f.category = (f.category || []).concat(list(tr.getAttribute('data-f-classification'), '|'));
      return {
        tr: tr,
        f: f,
        search: (tr.getAttribute('data-search') || tr.textContent).toLowerCase(),
        removed: tr.getAttribute('data-removed') === 'true'
      };
    });
    var removedTotal = rows.filter(function (r) { return r.removed; }).length;
    if (toggleLabel) toggleLabel.textContent = 'Show ' + removedTotal + ' removed';
    if (toggle) toggle.closest('label').hidden = removedTotal === 0;

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
          if (sel) setSelect(sel, v.trim()); else extra[lk] = [k, v.trim()];
        }
      });
    }

    function state() {
      var f = {};
      Object.keys(extra).forEach(function (k) { f[k] = wanted(extra[k][1]); });
      selects.forEach(function (s) {
        s.classList.toggle('active', s.value !== '');
        if (s.value) f[s.getAttribute('data-param').toLowerCase()] = wanted(s.value);
      });
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
      if (r.removed && !st.removed) return false;
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

    // Ranked search (static/search.js, the build's tantivy index): on the main tables a query
    // ranks the rows; elsewhere, or if the index cannot be fetched, it filters by substring.
    rows.forEach(function (r, i) { r.i = i; r.ord = Number(r.tr.getAttribute('data-ord')); });
    // Only the metric and event tables are in the search index (their rows carry data-ord).
    var rankable = rows.length > 0 && rows.every(function (r) { return r.tr.hasAttribute('data-ord'); });
    var tbody = trs.length ? trs[0].parentNode : null;
    var reordered = false;
    var seq = 0;

    function show(st, rank) {
      var n = 0;
      var visible = [];
      rows.forEach(function (r) {
        var ok = matches(r, st, !!rank) && (!rank || rank.has(r.ord));
        if (ok) { n++; visible.push(r); }
        if (r.tr.hidden === ok) r.tr.hidden = !ok;
        if (rank && ok) {
          r.tr.setAttribute('data-search-result', r.tr.getAttribute('data-key'));
          r.tr.setAttribute('data-search-score', String(rank.get(r.ord).score));
        } else if (r.tr.hasAttribute('data-search-result')) {
          r.tr.removeAttribute('data-search-result');
          r.tr.removeAttribute('data-search-score');
        }
      });
      if (tbody && (rank || reordered)) {
        var order = rank
          ? visible.slice().sort(function (a, b) { var x = rank.get(a.ord), y = rank.get(b.ord); return y.score - x.score || a.ord - b.ord; })
          : [];
        var rest = rows.filter(function (r) { return order.indexOf(r) < 0; });
        var frag = document.createDocumentFragment();
        order.concat(rest).forEach(function (r) { frag.appendChild(r.tr); });
        tbody.appendChild(frag);
        reordered = !!rank;
      }
      highlight(rank ? visible : [], rank ? window.metricdictSearch.words(st.text) : []);
      if (count) count.textContent = 'Showing ' + n + ' of ' + rows.length + ' ' + noun + (rank ? ', best match first' : '');
      if (empty) empty.hidden = n > 0;
      box.classList.add('ready');
      return n;
    }

    function apply() {
      var st = state();
      var active = st.terms.length > 0 || Object.keys(st.f).length > 0;
      clears.forEach(function (c) { if (c.closest('form')) c.hidden = !active; });
      if (sync) writeUrl();
      var engine = sync && rankable && window.metricdictSearch && q && st.terms.length > 0;
      if (!engine) return show(st, null);
      var mine = ++seq;
      window.metricdictSearch.search(q.value).then(function (res) {
        if (mine !== seq) return;
        var rank = new Map();
        res.ranked.forEach(function (h) { rank.set(h.ord, h); });
        show(st, rank);
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
    if (q) { q.addEventListener('input', apply); q.addEventListener('search', apply); }
    selects.forEach(function (s) { s.addEventListener('change', apply); });
    if (toggle) toggle.addEventListener('change', apply);
    clears.forEach(function (c) { c.addEventListener('click', clear); });

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

    // Export exactly the rows shown (current filters, order and search), stamped with the build
    // and the view's URL, so a reviewer can file what they looked at.
    function exportRows(format) {
      var heads = Array.prototype.map.call(box.querySelectorAll('thead th[data-col]'), function (th) {
        return { col: th.getAttribute('data-col'), label: th.textContent.trim() };
      });
      var shown = Array.prototype.filter.call(box.querySelectorAll('tbody tr'), function (tr) { return !tr.hidden; });
      var stamp = {
        build_time: document.body.getAttribute('data-build-time') || '',
        commit: document.body.getAttribute('data-commit') || '',
        view: location.href
      };
      var records = shown.map(function (tr) {
        var rec = {};
        heads.forEach(function (h, i) {
          var td = tr.querySelector('td[data-col="' + h.col + '"]');
          // The identifying column is the row's key (the cell also shows "+1"-style extras).
          rec[h.col] = i === 0 && tr.hasAttribute('data-key') ? tr.getAttribute('data-key')
            : td ? td.textContent.replace(/\s+/g, ' ').trim() : '';
        });
        var a = tr.querySelector('a.kp');
        rec.url = a ? a.href : '';
        return rec;
      });
      if (format === 'json') return JSON.stringify({ generated: stamp, count: records.length, rows: records }, null, 1);
      var cols = heads.map(function (h) { return h.col; }).concat(['url', 'build_time', 'commit', 'view']);
      // As metrics.csv: a cell a spreadsheet would run as a formula gets a leading ' (OWASP).
      var cell = function (v) {
        v = String(v == null ? '' : v);
        if (/^[=+\-@\t\r]/.test(v)) v = "'" + v;
        return /[",\n\r]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
      };
      var lines = [cols.join(',')].concat(records.map(function (r) {
        return cols.map(function (c) { return cell(c in r ? r[c] : stamp[c]); }).join(',');
      }));
      return lines.join('\n') + '\n';
    }
    if (sync && form) {
      var bar = form.querySelector('.fb-row');
      var wrap = document.createElement('span');
      wrap.className = 'fb-export';
      wrap.innerHTML = '<span class="muted">Export shown:</span> ';
      ['csv', 'json'].forEach(function (fmt) {
        var btn = document.createElement('button');
        btn.type = 'button';
        btn.className = 'btn btn-quiet';
        btn.textContent = fmt.toUpperCase();
        btn.setAttribute('aria-label', 'Download the rows shown as ' + fmt.toUpperCase());
        btn.addEventListener('click', function () {
          var blob = new Blob([exportRows(fmt)], { type: fmt === 'csv' ? 'text/csv' : 'application/json' });
          var a = document.createElement('a');
          a.href = URL.createObjectURL(blob);
          a.download = kind + '-' + (document.body.getAttribute('data-build-time') || 'export').replace(/[:]/g, '') + '.' + fmt;
          document.body.appendChild(a);
          a.click();
          setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
        });
        wrap.appendChild(btn);
      });
      if (bar) bar.appendChild(wrap);
    }

    return { el: box, kind: kind, cols: cols, apply: apply, clear: clear, rows: rows, exportRows: exportRows };
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

  // Let long dotted/underscored/CamelCase identifiers break at separators (<wbr> keeps copy/paste intact).
  function addBreaks(root) {
    Array.prototype.forEach.call(root.querySelectorAll('.kp, .kp-title, .brk'), function (el) {
      if (el.children.length) return;
      // break after . _ / : and between camelCase humps
      var parts = el.textContent.replace(/([._/:]+|[a-z](?=[A-Z]))/g, '$1\u0000').split('\u0000').filter(Boolean);
      if (parts.length < 2) return;
      var frag = document.createDocumentFragment();
      parts.forEach(function (p, i) {
        if (i) frag.appendChild(document.createElement('wbr'));
        frag.appendChild(document.createTextNode(p));
      });
      el.textContent = '';
      el.appendChild(frag);
    });
  }

  function closeMenus(except) {
    Array.prototype.forEach.call(document.querySelectorAll('details.fb-cols[open], details.downloads[open]'), function (d) {
      if (d !== except) d.open = false;
    });
  }

  // Dark mode: follows the system until the user picks; the choice is remembered.
  function themeToggle() {
    var btn = document.querySelector('.theme-toggle');
    if (!btn) return;
    var root = document.documentElement;
    var media = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
    function dark() {
      var t = root.getAttribute('data-theme');
      return t ? t === 'dark' : !!(media && media.matches);
    }
    function show() { btn.setAttribute('aria-pressed', String(dark())); }
    btn.hidden = false;
    show();
    btn.addEventListener('click', function () {
      var next = dark() ? 'light' : 'dark';
      root.setAttribute('data-theme', next);
      try { localStorage.setItem('metricdict-theme', next); } catch (e) { /* private mode */ }
      show();
    });
    if (media && media.addEventListener) media.addEventListener('change', show);
  }

  // Copy buttons (key paths, Service Ping JSON paths).
  function copyButtons() {
    document.addEventListener('click', function (e) {
      var b = e.target.closest && e.target.closest('button[data-copy]');
      if (!b || !navigator.clipboard) return;
      var label = b.getAttribute('data-label') || b.getAttribute('aria-label') || 'Copy';
      navigator.clipboard.writeText(b.getAttribute('data-copy')).then(function () {
        b.classList.add('copied');
        b.setAttribute('aria-label', 'Copied');
        setTimeout(function () { b.classList.remove('copied'); b.setAttribute('aria-label', label); }, 1500);
      });
    });
  }

  function init() {
    themeToggle();
    copyButtons();
    Array.prototype.forEach.call(document.querySelectorAll('.dict-box[data-table]'), function (el) {
      try {
        var b = setup(el);
        boxes.push(b);
        b.apply();
      } catch (e) {
        el.classList.add('ready'); // never leave removed rows stuck behind the pre-JS CSS
        if (window.console) console.error(e);
      }
    });
    renderCols();
    addBreaks(document);

    document.addEventListener('click', function (e) {
      closeMenus(e.target.closest ? e.target.closest('details') : null);
    });
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') {
        var open = document.querySelector('details.fb-cols[open], details.downloads[open]');
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
          var links = Array.prototype.filter.call(box.querySelectorAll('tbody tr:not([hidden]) a.kp'), function (a) {
            return a.offsetParent !== null;
          });
          if (links.length) {
            var at = inRow ? links.indexOf(inRow.querySelector('a.kp')) : -1;
            var next = e.key === 'ArrowDown' ? at + 1 : at - 1;
            e.preventDefault();
            if (next < 0) { var sq = box.querySelector('.fb-q'); if (sq) sq.focus(); }
            else links[Math.min(next, links.length - 1)].focus();
          }
          return;
        }
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

  window.metricdict = {
    boxes: boxes,
    apply: function () { return boxes.map(function (b) { return b.apply(); }); }
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
