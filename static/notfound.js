/* metricdict 404 page: offers the key path or action the missing address names as a search
 * over metrics and events (/metrics/counts.foo/ -> counts.foo). Only textContent and href are
 * set, so nothing from the address can become markup. */
(function () {
  'use strict';
  var box = document.querySelector('[data-suggest-404]');
  if (!box) return;
  var base = box.getAttribute('data-base') || '/';
  var path = location.pathname;
  try { path = decodeURIComponent(path); } catch (e) { /* keep it encoded */ }
  if (path.indexOf(base) === 0) path = path.slice(base.length);
  var parts = path.split('/').filter(function (p) { return p && p !== 'index.html'; });
  if (parts[0] === 'metrics' || parts[0] === 'events') parts.shift();
  var key = parts.length ? parts[0] : '';
  // Page names of legacy events and renamed keys end in a 10-hex-digit hash suffix.
  key = key.replace(/-[0-9a-f]{10}$/, '').replace(/\.html$/, '').trim();
  if (!key || key.length > 200) return;
  box.querySelector('[data-key]').textContent = key;
  var q = '?q=' + encodeURIComponent(key);
  box.querySelector('[data-search="metrics"]').href = base + q;
  box.querySelector('[data-search="events"]').href = base + 'events/' + q;
  var input = document.getElementById('q404');
  if (input && !input.value) input.value = key;
  box.hidden = false;
})();
