// Warehouse queries from the published templates (queries.json): one place that fills them, for
// the definition pages (copy.js) and the tables' "Copy query" (rows.js). Values are quoted as
// text::sql quotes them; tests/queries.rs parses what this produces as Snowflake SQL.
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
