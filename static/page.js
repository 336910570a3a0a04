/* metricdict: behaviour every page has (dark mode toggle, copy buttons, line breaks in long
 * identifiers), the search-hit highlight the tables use, and the warehouse queries (filled for
 * definition pages and table rows). One file: each script tag is bytes on every one of up to
 * 100,000 pages. Vanilla ES2017. */
(function () {
  'use strict';

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

  // Dark mode: follows the system until the user picks; the choice is remembered.
  function themeToggle() {
    var btn = document.querySelector('.theme-toggle');
    var bar = document.querySelector('.header-inner');
    if (!btn && bar) {
      // Made here rather than in every page's HTML: without JavaScript it could do nothing.
      btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'theme-toggle';
      btn.setAttribute('aria-label', 'Dark mode');
      btn.title = 'Switch between light and dark';
      bar.insertBefore(btn, bar.querySelector('.downloads'));
    }
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

  // Copy buttons (key paths, Service Ping JSON paths). A definition page marks what can be
  // copied with data-copy-label; the button is made here, as it only works with JavaScript.
  function copyButtons() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-copy-label]'), function (el) {
      var text = el.textContent;
      var label = el.getAttribute('data-copy-label');
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'copy';
      b.setAttribute('data-copy', text);
      b.setAttribute('data-label', label);
      // Several JSON paths on one page: each button names its own.
      b.setAttribute('aria-label', el.tagName === 'CODE' ? label + ' ' + text : label);
      b.title = label;
      el.parentNode.insertBefore(b, el.nextSibling);
      el.parentNode.insertBefore(document.createTextNode(' '), b);
    });
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

  // A definition page's field names link to their own anchors (legal cite
  // /metrics/x/#data_category); made here to keep 100,000 pages under 1 GB.
  function fieldLinks() {
    Array.prototype.forEach.call(document.querySelectorAll('.fields > dt[id]'), function (dt) {
      if (dt.querySelector('a')) return;
      var a = document.createElement('a');
      a.href = '#' + dt.id;
      while (dt.firstChild) a.appendChild(dt.firstChild);
      dt.appendChild(a);
    });
  }

  window.metricdictPage = { highlight: highlight, addBreaks: addBreaks, themeToggle: themeToggle, copyButtons: copyButtons, fieldLinks: fieldLinks };
})();

// Warehouse queries from the published templates (queries.json): one place that fills them, for
// the definition pages (below) and the tables' "Copy query" (rows.js). Values become
// whole Snowflake literals; tests/queries.rs parses what the pages show as Snowflake SQL.
(function () {
  'use strict';

  // Placeholders become whole Snowflake string literals: `\` doubled, then `'`, control
  // characters escaped; `{{` and `}}` are literal braces.
  function sqlString(v) {
    return "'" + String(v).replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r').replace(/\t/g, '\\t').replace(/\0/g, '\\0') + "'";
  }
  function fill(sql, vals) {
    return sql.replace(/\{\{|\}\}|\{(\w+)\}/g, function (m, name) {
      return m === '{{' ? '{' : m === '}}' ? '}' : Object.prototype.hasOwnProperty.call(vals, name) ? sqlString(vals[name]) : m;
    });
  }

  // A definition's queries: `v` is { key_paths } for a metric (every template once per key
  // path in the payload), { action, category, legacy } for an event.
  // Returns [{ label, key_path|null, sql }].
  function list(t, kind, v) {
    var tpls = kind === 'events' ? (v.legacy ? t.legacy_event : t.event) : t.metric;
    if (!tpls || !tpls.length) return [];
    var keys = kind === 'events' ? [null] : v.key_paths || [];
    var out = [];
    keys.forEach(function (k) {
      tpls.forEach(function (tpl) {
        out.push({ label: tpl.label, key_path: k, sql: fill(tpl.sql, { key_path: k, action: v.action, category: v.category }) });
      });
    });
    return out;
  }

  // The same queries as one text to paste, each under a comment naming it.
  function text(t, kind, v) {
    var all = list(t, kind, v);
    if (!all.length) throw new Error('no query for this kind');
    return all.map(function (q) {
      // The label line is a comment: no line break may end it early.
      var title = (q.label + (q.key_path ? ': ' + q.key_path : '')).replace(/[\r\n]/g, ' ');
      return '-- ' + title + '\n' + q.sql;
    }).join('\n\n');
  }

  window.metricdictQueries = { list: list, text: text };
})();

// "Copy the query" on a definition page: draws the page's warehouse queries (filled by
// the code above from the published templates with the values the page names), each with a
// Copy button naming the <pre> it copies by id. Success or failure is announced in the page's
// aria-live status region.
(function () {
  'use strict';

  function announce(button, text) {
    var section = button.closest('section') || document;
    var status = section.querySelector('[data-copy-status]');
    if (status) {
      status.textContent = '';
      // A fresh text node after a tick, so screen readers announce a repeated "Copied" too.
      setTimeout(function () { status.textContent = text; }, 30);
    }
  }

  function copyText(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.className = 'visually-hidden';
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error('copy refused')); }
    });
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  // One <figure> per query: label (and key path when the metric has several), the SQL, Copy.
  function drawQueries(section) {
    var Q = window.metricdictQueries;
    if (!Q) return;
    var values;
    try { values = JSON.parse(section.getAttribute('data-values') || 'null'); } catch (e) { return; }
    // No values: a metric whose one key path is the page's title.
    if (!values) {
      var title = document.querySelector('.kp-title [data-copy-label]');
      values = { key_paths: [title ? title.textContent : ''] };
    }
    var h = el('h2', null, 'Query the warehouse');
    h.id = 'h-queries';
    section.appendChild(h);
    section.setAttribute('aria-labelledby', h.id);
    section.hidden = false;
    var status = el('p', 'visually-hidden');
    status.setAttribute('role', 'status');
    status.setAttribute('aria-live', 'polite');
    status.setAttribute('data-copy-status', '');
    section.appendChild(status);
    fetch(section.getAttribute('data-queries'), { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (json) {
        var t = json.templates || {};
        var kind = section.getAttribute('data-kind');
        var intro = el('p', 'muted', 'Ready to paste into the data warehouse');
        if (t.source_title) {
          intro.appendChild(document.createTextNode(', following '));
          var src = t.source_url ? el('a', null, t.source_title) : document.createTextNode(t.source_title);
          if (t.source_url && !/^\s*(javascript|data|vbscript):/i.test(t.source_url)) src.href = t.source_url;
          intro.appendChild(src);
        }
        intro.appendChild(document.createTextNode('.' + (kind === 'events'
          ? ' Self-Managed and Dedicated instances do not send these events; their usage is in the Service Ping metrics counting this event.'
          : '')));
        section.insertBefore(intro, status);
        var all = Q.list(t, kind, values);
        var several = (values.key_paths || []).length > 1;
        all.forEach(function (q, i) {
          var id = 'query-' + (i + 1);
          var fig = el('figure', 'query');
          var cap = el('figcaption');
          cap.id = id + '-label';
          cap.appendChild(el('span', 'query-label', q.label));
          if (several && q.key_path) {
            cap.appendChild(document.createTextNode(' '));
            cap.appendChild(el('code', null, q.key_path));
          }
          var box = el('div', 'query-box');
          var pre = el('pre');
          pre.id = id;
          pre.tabIndex = 0;
          pre.setAttribute('aria-labelledby', cap.id);
          pre.appendChild(el('code', null, q.sql));
          var b = el('button', 'copy-query', 'Copy');
          b.type = 'button';
          b.setAttribute('data-copy-from', id);
          b.setAttribute('aria-describedby', cap.id);
          box.appendChild(pre);
          box.appendChild(b);
          fig.appendChild(cap);
          fig.appendChild(box);
          section.insertBefore(fig, status);
        });
        section.setAttribute('data-drawn', String(all.length));
      })
      .catch(function () {
        section.insertBefore(el('p', 'muted', 'The query templates could not be loaded.'), status);
        section.setAttribute('data-drawn', 'error');
      });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll('section.queries[data-queries]'), drawQueries);
    document.addEventListener('click', function (e) {
      var b = e.target.closest && e.target.closest('button[data-copy-from]');
      if (!b) return;
      var source = document.getElementById(b.getAttribute('data-copy-from'));
      if (!source) return;
      copyText(source.textContent).then(function () {
        b.textContent = 'Copied';
        b.classList.add('copied');
        announce(b, 'Copied');
        setTimeout(function () { b.textContent = 'Copy'; b.classList.remove('copied'); }, 1500);
      }, function () {
        announce(b, 'Could not copy: select the query and copy it by hand');
      });
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
