//! What the dev server adds to every page: a script that long-polls for the next build and
//! reloads, and, while the latest edit broke the build, an overlay naming each problem. Both
//! are files the server serves (not inline), so pages keep working under the site's
//! Content-Security-Policy, which allows only the site's own scripts and styles.

use crate::text::escape_html;

pub const POLL_PATH: &str = "__metricdict/poll";
/// The reload script and the overlay's stylesheet.
pub const SCRIPT_PATH: &str = "__metricdict/live.js";
pub const STYLE_PATH: &str = "__metricdict/live.css";
/// Longest a reload poll is held open before it answers "no change".
pub const POLL_WAIT: std::time::Duration = std::time::Duration::from_secs(25);

/// Long-polls for a newer build, then reloads the page.
pub const SCRIPT: &str = r#"(function () {
  'use strict';
  var me = document.currentScript;
  var g = Number(me.getAttribute('data-generation'));
  var url = me.getAttribute('data-poll');
  function poll() {
    fetch(url + '?gen=' + g, { cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (j) { if (j.generation !== g) location.reload(); else poll(); })
      .catch(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
"#;

/// The problem overlay's look.
pub const STYLE: &str = "#metricdict-overlay{position:fixed;inset:auto 0 0 0;max-height:60vh;\
overflow:auto;z-index:2147483647;background:#2b0b0b;color:#ffe9e9;\
font:13px/1.5 ui-monospace,monospace;padding:16px 20px;border-top:4px solid #e5484d;\
box-shadow:0 -8px 24px rgba(0,0,0,.4)}#metricdict-overlay strong{font-size:15px}\
#metricdict-overlay ul{margin:8px 0 0;padding-left:18px}\
#metricdict-overlay li{white-space:pre-wrap}\n";

/// The reload script and, when the latest rebuild failed, the problem overlay; injected before
/// `</body>` of every HTML response so custom templates cannot lose them.
pub fn live_snippet(base: &str, generation: u64, problems: Option<&[String]>) -> String {
    let mut s = String::new();
    if let Some(problems) = problems {
        s.push_str(&format!(
            "<link rel=\"stylesheet\" href=\"{base}{STYLE_PATH}\">"
        ));
        s.push_str("<div id=\"metricdict-overlay\" role=\"alertdialog\" aria-label=\"Build problems\"><strong>The last edit broke the build; showing the last good version.</strong><ul>");
        for p in problems {
            s.push_str("<li>");
            s.push_str(&escape_html(p));
            s.push_str("</li>");
        }
        s.push_str("</ul></div>");
    }
    s.push_str(&format!(
        "<script src=\"{base}{SCRIPT_PATH}\" data-generation=\"{generation}\" data-poll=\"{base}{POLL_PATH}\"></script>"
    ));
    s
}
