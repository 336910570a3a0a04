// /payload/: check a Service Ping payload in the browser. Nothing is uploaded: the payload is
// parsed and matched here, against the site's own metrics.json (fetched relative to this page,
// so it works under any sub-path). The walk is the same as `metricdict payload`
// (src/payload.rs): stop at a key path that names a definition, else descend into non-empty
// objects. Everything from the payload or the definitions is inserted with textContent.
(function () {
  'use strict';

  var MAX_BYTES = 50 * 1024 * 1024;
  var MAX_DEPTH = 64;
  var MAX_ROWS = 5000; // rows drawn; the CSV export has them all
  var MAX_VALUE_CHARS = 300;

  var root = document.querySelector('[data-payload]');
  if (!root) return;
  var $ = function (sel) { return root.querySelector(sel); };
  var text = $('[data-payload-text]');
  var file = $('[data-payload-file]');
  var status = $('[data-payload-status]');
  var results = $('[data-payload-results]');
  var last = null;
  var metrics = null;

  function setStatus(msg, isError) {
    status.textContent = msg;
    status.classList.toggle('payload-error', !!isError);
  }

  function loadMetrics() {
    if (!metrics) {
      var url = new URL(root.getAttribute('data-metrics-url'), window.location.href);
      metrics = fetch(url.href, { credentials: 'same-origin' }).then(function (r) {
        if (!r.ok) throw new Error('could not load ' + url.pathname + ' (' + r.status + ')');
        return r.json();
      }).then(index);
    }
    return metrics;
  }

  // Payload key path → definition; a definition not removed wins, then the first.
  function index(doc) {
    var byPath = new Map();
    var list = doc.metrics || [];
    list.forEach(function (m, i) {
      var def = { key_path: m.key_path, url: m.url, description: m.description || '',
        data_category: m.data_category, status: m.status, owner: i };
      (m.key_paths || [m.key_path]).forEach(function (kp) {
        var had = byPath.get(kp);
        if (!had || (had.status === 'removed' && def.status !== 'removed')) byPath.set(kp, def);
      });
    });
    return { byPath: byPath, list: list };
  }

  function kind(v) {
    if (v === null) return 'null';
    if (Array.isArray(v)) return 'an array';
    return typeof v === 'object' ? 'an object' : 'a ' + typeof v;
  }

  // The key path of the first value nested deeper than MAX_DEPTH, or null.
  function tooDeep(v) {
    var stack = [[v, '', 0]];
    while (stack.length) {
      var top = stack.pop();
      if (top[2] > MAX_DEPTH) return top[1] || 'the top';
      if (top[0] !== null && typeof top[0] === 'object') {
        Object.keys(top[0]).forEach(function (k) {
          stack.push([top[0][k], top[1] ? top[1] + '.' + k : k, top[2] + 1]);
        });
      }
    }
    return null;
  }

  function parse(source) {
    if (source.length > MAX_BYTES) {
      throw new Error('the payload is ' + source.length + ' characters, more than the ' + MAX_BYTES + ' limit');
    }
    var value;
    try {
      value = JSON.parse(source);
    } catch (e) {
      if (e instanceof RangeError) throw new Error('nested more than ' + MAX_DEPTH + ' levels deep');
      throw new Error('not JSON: ' + e.message);
    }
    var deep = tooDeep(value);
    if (deep) throw new Error('nested more than ' + MAX_DEPTH + ' levels deep (at ' + deep + ')');
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new Error('not a Service Ping payload: the top level is ' + kind(value) + ', expected an object of key paths');
    }
    return value;
  }

  function check(payload, idx) {
    var values = [];
    (function walk(v, path) {
      var def = path ? idx.byPath.get(path) : undefined;
      if (def) { values.push({ key_path: path, value: v, definition: def }); return; }
      var isObject = v !== null && typeof v === 'object' && !Array.isArray(v);
      if (isObject && (Object.keys(v).length || !path)) {
        Object.keys(v).forEach(function (k) { walk(v[k], path ? path + '.' + k : k); });
      } else {
        values.push({ key_path: path, value: v, definition: null });
      }
    })(payload, '');
    var totals = {};
    var total = function (c) { return totals[c] || (totals[c] = { values: 0, missing: 0 }); };
    var present = new Set();
    values.forEach(function (e) {
      present.add(e.key_path);
      if (e.definition) total(e.definition.data_category).values += 1;
    });
    var missing = [];
    idx.list.forEach(function (m, i) {
      if (m.status !== 'active') return;
      (m.key_paths || [m.key_path]).forEach(function (kp) {
        var def = idx.byPath.get(kp);
        if (def && def.owner === i && !present.has(kp)) {
          total(def.data_category).missing += 1;
          missing.push({ key_path: kp, definition: def });
        }
      });
    });
    var unknown = values.filter(function (e) { return !e.definition; }).map(function (e) { return e.key_path; });
    return { values: values, unknown: unknown, missing: missing, totals: totals };
  }

  function valueText(v) {
    return typeof v === 'string' ? v : JSON.stringify(v);
  }

  function el(tag, textValue, className) {
    var e = document.createElement(tag);
    if (textValue != null) e.textContent = textValue;
    if (className) e.className = className;
    return e;
  }

  function link(def) {
    var a = el('a', def.key_path, 'kp');
    a.href = def.url;
    return a;
  }

  function firstLine(s) {
    return String(s || '').split('\n')[0];
  }

  function show(r) {
    var tbody = $('[data-payload-values]');
    tbody.textContent = '';
    r.values.slice(0, MAX_ROWS).forEach(function (e) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-key-path', e.key_path);
      var d = e.definition;
      tr.setAttribute('data-definition', d ? d.key_path : '');
      tr.setAttribute('data-category', d ? d.data_category : '');
      tr.setAttribute('data-status', d ? d.status : '');
      var th = el('th');
      th.scope = 'row';
      th.appendChild(el('code', e.key_path));
      tr.appendChild(th);
      var shown = valueText(e.value);
      if (shown.length > MAX_VALUE_CHARS) shown = shown.slice(0, MAX_VALUE_CHARS) + '…';
      tr.appendChild(el('td')).appendChild(el('code', shown, 'payload-value'));
      var defCell = el('td');
      if (d) {
        defCell.appendChild(link(d));
        defCell.appendChild(el('div', firstLine(d.description), 'payload-description'));
      } else {
        defCell.appendChild(el('span', 'No definition', 'tag payload-unknown'));
      }
      tr.appendChild(defCell);
      tr.appendChild(el('td', d ? d.data_category : '—'));
      tr.appendChild(el('td')).appendChild(el('span', d ? d.status : '—', d ? 'chip kind-status v-' + d.status : ''));
      if (!d) tr.className = 'payload-row-unknown';
      tbody.appendChild(tr);
    });
    $('[data-payload-shown]').textContent = r.values.length > MAX_ROWS
      ? 'The first ' + MAX_ROWS + ' of ' + r.values.length + ' values are shown; the CSV has them all.' : '';

    var totals = $('[data-payload-totals]');
    totals.textContent = '';
    Object.keys(r.totals).sort().forEach(function (c) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-category', c);
      var th = el('th', c);
      th.scope = 'row';
      tr.appendChild(th);
      tr.appendChild(el('td', String(r.totals[c].values)));
      tr.appendChild(el('td', String(r.totals[c].missing)));
      totals.appendChild(tr);
    });
    var none = document.createElement('tr');
    var th = el('th', 'No definition');
    th.scope = 'row';
    none.appendChild(th);
    none.appendChild(el('td', String(r.unknown.length)));
    none.appendChild(el('td', '—'));
    totals.appendChild(none);

    var ul = $('[data-payload-missing]');
    ul.textContent = '';
    r.missing.slice(0, MAX_ROWS).forEach(function (m) {
      var li = el('li');
      li.setAttribute('data-key-path', m.key_path);
      var a = link(m.definition);
      a.textContent = m.key_path;
      li.appendChild(a);
      li.appendChild(el('span', m.definition.data_category, 'tag'));
      ul.appendChild(li);
    });
    if (!r.missing.length) ul.appendChild(el('li', 'None: the payload carries every active definition.', 'muted'));
    results.hidden = false;
  }

  function csv(r) {
    var cell = function (v) {
      v = String(v == null ? '' : v);
      if (/^[=+\-@\t\r]/.test(v)) v = "'" + v; // as metrics.csv: no cell runs as a formula
      return /[",\n\r]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
    };
    var cols = ['key_path', 'value', 'definition', 'url', 'description', 'data_category', 'status'];
    var lines = [cols.join(',')].concat(r.values.map(function (e) {
      var d = e.definition || {};
      var url = d.url ? new URL(d.url, window.location.href).href : '';
      return [e.key_path, valueText(e.value), d.key_path, url, d.description, d.data_category, d.status]
        .map(cell).join(',');
    }));
    return lines.join('\n') + '\n';
  }

  function run(source) {
    var payload;
    try {
      payload = parse(source);
    } catch (e) {
      last = null;
      results.hidden = true;
      setStatus('This is not a payload that can be checked: ' + e.message + '.', true);
      return Promise.resolve();
    }
    setStatus('Checking…');
    return loadMetrics().then(function (idx) {
      last = check(payload, idx);
      show(last);
      root.setAttribute('data-payload-checked', String(last.values.length));
      setStatus('Checked ' + last.values.length + ' values: ' + (last.values.length - last.unknown.length) +
        ' defined, ' + last.unknown.length + ' with no definition; ' + last.missing.length +
        ' active definitions missing.');
    }, function (e) {
      setStatus('The dictionary could not be loaded: ' + e.message + '.', true);
    });
  }

  var timer = null;
  text.addEventListener('input', function () {
    clearTimeout(timer);
    if (!text.value.trim()) { results.hidden = true; setStatus(''); return; }
    timer = setTimeout(function () { run(text.value); }, 250);
  });
  file.addEventListener('change', function () {
    var f = file.files && file.files[0];
    if (!f) return;
    if (f.size > MAX_BYTES) {
      setStatus('This is not a payload that can be checked: the file is ' + f.size + ' bytes, more than the ' + MAX_BYTES + '-byte limit.', true);
      return;
    }
    f.text().then(run);
  });
  $('[data-payload-csv]').addEventListener('click', function () {
    if (!last) return;
    var blob = new Blob([csv(last)], { type: 'text/csv' });
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'payload-annotated.csv';
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  });
  // For tests and scripts: the last report, and the CSV it exports.
  root.payloadReport = function () { return last; };
  root.payloadCsv = function () { return last ? csv(last) : ''; };
})();
