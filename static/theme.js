/* metricdict: runs before the page is drawn (a separate file, not inline, so the site's
 * Content-Security-Policy can allow only its own scripts). Marks that scripts run, applies the
 * remembered light/dark choice, and undoes the mark if a script of the site fails to load. */
(function (d) {
  'use strict';
  d.classList.add('js');
  try {
    var t = localStorage.getItem('metricdict-theme');
    if (t === 'dark' || t === 'light') d.setAttribute('data-theme', t);
  } catch (e) { /* private mode */ }
  document.addEventListener('error', function (e) {
    if (e.target && e.target.tagName === 'SCRIPT') d.classList.remove('js');
  }, true);
})(document.documentElement);
