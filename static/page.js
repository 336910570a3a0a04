/* metricdict: behaviour every page has (dark mode toggle, copy buttons, line breaks in long
 * identifiers) and the search-hit highlight the tables use. Vanilla ES2017. */
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
