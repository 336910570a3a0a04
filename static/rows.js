/* metricdict: how a table row is drawn from the table's data (templates/metric_row.html and
 * event_row.html draw the same rows on the server; the browser tests compare them), and the CSV
 * writer of "Export shown" (the same rules as export::csv, tested against it). Vanilla ES2017. */
(function () {
  'use strict';

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null && text !== '') e.textContent = text;
    return e;
  }

  function cell(tr, col) {
    var td = document.createElement('td');
    td.setAttribute('data-col', col);
    tr.appendChild(td);
    return td;
  }

  function rowStart(d, key) {
    var tr = document.createElement('tr');
    if (d.removed) tr.className = 'removed';
    tr.setAttribute('data-key', key);
    tr.setAttribute('data-ord', String(d.ord));
    tr.setAttribute('data-removed', d.removed ? 'true' : 'false');
    return tr;
  }

  function tierPills(td, tiers) {
    (tiers || []).forEach(function (t) { td.appendChild(el('span', 'pill tier tier-' + t.toLowerCase(), t)); });
  }

  // A row as templates/metric_row.html draws it (the browser tests compare the two). Every
  // value goes in as text: descriptions and key paths are untrusted.
  function drawMetric(d, base) {
    var tr = rowStart(d, d.key_path);
    var td = cell(tr, 'key_path');
    var a = el('a', 'kp', d.key_path);
    a.href = base + d.url;
    var b = el('button', 'copy');
    b.type = 'button';
    b.setAttribute('data-copy', d.key_path);
    b.setAttribute('aria-label', 'Copy key path');
    td.append(a, ' ', b);
    if (d.more_count) {
      var more = el('span', 'more', '+' + d.more_count);
      more.title = d.more_title;
      td.append(' ', more);
    }
    cell(tr, 'description').appendChild(el('div', 'clamp', d.description));
    td = cell(tr, 'group'); if (d.group) td.appendChild(el('span', 'brk', d.group));
    td = cell(tr, 'data_category'); if (d.data_category) td.appendChild(el('span', 'pill cat cat-' + d.category_key, d.data_category));
    td = cell(tr, 'status'); if (d.status) td.appendChild(el('span', 'badge status status-' + d.status_key, d.status_text));
    td = cell(tr, 'time_frame'); if (d.time_frames_text) td.appendChild(el('span', 'mono-s', d.time_frames_text));
    td = cell(tr, 'data_source'); if (d.data_source) td.appendChild(el('span', 'brk', d.data_source));
    tierPills(cell(tr, 'tiers'), d.tiers);
    cell(tr, 'milestone').textContent = d.milestone || '';
    cell(tr, 'pi').textContent = d.pis_text || '';
    return tr;
  }

  // A row as templates/event_row.html draws it.
  function drawEvent(d, base) {
    var tr = rowStart(d, d.id);
    var td = cell(tr, 'action');
    // Legacy events are identified by category and action (two are both `create`).
    if (d.legacy) td.append(el('span', 'ev-cat', d.category), ' ');
    var a = el('a', 'kp', d.action);
    a.href = base + d.url;
    td.appendChild(a);
    if (d.internal) {
      var tag = el('span', 'tag', 'internal');
      tag.title = 'Internal event';
      td.append(' ', tag);
    }
    cell(tr, 'description').appendChild(el('div', 'clamp', d.description));
    cell(tr, 'category').appendChild(el('span', 'mono-s brk', d.category));
    td = cell(tr, 'identifiers');
    (d.identifiers || []).forEach(function (i) { td.appendChild(el('span', 'pill ident', i)); });
    td = cell(tr, 'properties'); if (d.properties_text) td.appendChild(el('span', 'mono-s', d.properties_text));
    td = cell(tr, 'classification');
    if (d.classification) td.appendChild(el('span', 'pill cls cls-' + d.classification_key, d.classification));
    else { var none = el('span', 'none', '—'); none.title = 'No classification'; td.appendChild(none); }
    td = cell(tr, 'group'); if (d.group) td.appendChild(el('span', 'brk', d.group));
    tierPills(cell(tr, 'tiers'), d.tiers);
    cell(tr, 'milestone').textContent = d.milestone || '';
    td = cell(tr, 'status'); if (d.status) td.appendChild(el('span', 'badge status status-' + d.status_key, d.status_text));
    return tr;
  }

  // CSV as the csv crate writes metrics.csv: quotes only where needed, "\n" between records.
  // Cells a spreadsheet would run as a formula get a leading ' (OWASP; export::csv::formula_safe).
  var Csv = {
    cell: function (v) {
      v = String(v == null ? '' : v);
      if (/^[=+\-@\t\r]/.test(v)) v = "'" + v;
      return /[",\n\r]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
    },
    write: function (records) {
      return records.map(function (r) { return r.map(Csv.cell).join(','); }).join('\n') + '\n';
    },
    // RFC 4180 records (quoted fields may hold commas, quotes and line breaks).
    parse: function (text) {
      var out = [], rec = [], field = '', i = 0, quoted = false, c;
      for (; i < text.length; i++) {
        c = text[i];
        if (quoted) {
          if (c === '"') {
            if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
          } else field += c;
        } else if (c === '"') quoted = true;
        else if (c === ',') { rec.push(field); field = ''; }
        else if (c === '\n' || c === '\r') {
          if (c === '\r' && text[i + 1] === '\n') i++;
          rec.push(field); out.push(rec); rec = []; field = '';
        } else field += c;
      }
      if (field !== '' || rec.length) { rec.push(field); out.push(rec); }
      return out;
    }
  };

  // "What does version X send?" as model::version::reported_by decides it: a definition is
  // reported (2) from its milestone on until its milestone_removed; `<13.9` (introduced before
  // 13.9) and a missing milestone make it "may be" (1) where the data cannot say; otherwise 0.
  function version(s) {
    var m = /^(<)?(\d{1,4})\.(\d{1,4})$/.exec(String(s || '').trim());
    return m ? { n: Number(m[2]) * 10000 + Number(m[3]), before: !!m[1] } : null;
  }
  function reportedBy(r, v) {
    var a = version((r.f.milestone || [])[0]);
    var gone = version((r.f.milestone_removed || [])[0]);
    var added = !a ? 1 : a.n <= v.n ? 2 : a.before ? 1 : 0;
    var kept = gone ? (gone.n <= v.n ? 0 : gone.before ? 1 : 2) : (r.removed ? 1 : 2);
    return Math.min(added, kept);
  }

  // A row's warehouse queries, as its definition page shows them (static/page.js).
  function queryText(t, kind, d) {
    var v = kind === 'events' ? { action: d.action, category: d.category, legacy: d.legacy }
      : { key_paths: String(d.more_title || d.key_path).split(', ') };
    return window.metricdictQueries.text(t, kind, v);
  }

  // tables/*.json leaves out what a row says again from its own fields (render/table_data.rs
  // leaves a value out only when these rules give it back exactly): put it back, in the
  // fields' order, once on load.
  function derived(k, d, ord) {
    var low = function (v) { return typeof v === 'string' ? v.toLowerCase() : undefined; };
    switch (k) {
      case 'ord': return ord;
      case 'more_title': return d.key_path;
      case 'more_count': return 0;
      case 'category_key': return low(d.data_category);
      case 'status_key': return low(d.status);
      case 'classification_key': return low(d.classification);
      case 'status_text': return typeof d.status === 'string' ? d.status.replace(/_/g, ' ') : undefined;
      case 'removed': case 'internal': case 'legacy': return false;
      case 'pis_text': case 'properties_text': return '';
      default: return undefined;
    }
  }
  function joined(v) {
    if (v == null) return '';
    return Array.isArray(v) ? v.map(function (x) { return typeof x === 'string' ? x : ''; }).join('|') : v;
  }
  function expand(data) {
    if (!data || data.format !== 2) return data;
    var same = data.same_as || {};
    data.rows = data.rows.map(function (d, i) {
      var out = {};
      data.keys.forEach(function (k) {
        if (k === 'f') {
          var f = {};
          var given = d.f || {};
          data.f_keys.forEach(function (p) {
            var v = given[p] !== undefined ? given[p] : same[p] ? joined(d[same[p]]) : undefined;
            if (v !== undefined) f[p] = v;
          });
          out.f = f;
          return;
        }
        var v = d[k] !== undefined ? d[k] : derived(k, d, data.first_ord + i);
        if (v !== undefined) out[k] = v;
      });
      return out;
    });
    return data;
  }

  window.metricdictRows = {
    expand: expand,
    el: el, drawMetric: drawMetric, drawEvent: drawEvent, Csv: Csv,
    version: version, reportedBy: reportedBy, queryText: queryText
  };
})();
