// "Copy the query" on a definition page: draws the page's warehouse queries (filled by
// static/queries.js from the published templates with the values the page names), each with a
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
    try { values = JSON.parse(section.getAttribute('data-values') || '{}'); } catch (e) { return; }
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
    Array.prototype.forEach.call(document.querySelectorAll('section[data-queries]'), drawQueries);
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
