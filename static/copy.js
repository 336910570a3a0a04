// "Copy the query": a Copy button beside each query on a definition page. The buttons are in
// the HTML (hidden until this script runs, so a page without JavaScript shows no dead button);
// each names the <pre> it copies by id. Success or failure is announced in the page's
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

  function init() {
    var buttons = document.querySelectorAll('button[data-copy-from]');
    Array.prototype.forEach.call(buttons, function (b) { b.hidden = false; });
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
