//! What the dev server adds to every page: a script that long-polls for the next build and
//! reloads, and, while the latest edit broke the build, an overlay naming each problem.

use crate::text::escape_html;

pub const POLL_PATH: &str = "__metricdict/poll";
/// Longest a reload poll is held open before it answers "no change".
pub const POLL_WAIT: std::time::Duration = std::time::Duration::from_secs(25);

/// The reload script and, when the latest rebuild failed, the problem overlay; injected before
/// `</body>` of every HTML response so custom templates cannot lose them.
pub fn live_snippet(base: &str, generation: u64, problems: Option<&[String]>) -> String {
    let mut s = String::new();
    if let Some(problems) = problems {
        s.push_str("<div id=\"metricdict-overlay\" role=\"alertdialog\" aria-label=\"Build problems\" style=\"position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;z-index:2147483647;background:#2b0b0b;color:#ffe9e9;font:13px/1.5 ui-monospace,monospace;padding:16px 20px;border-top:4px solid #e5484d;box-shadow:0 -8px 24px rgba(0,0,0,.4)\"><strong style=\"font-size:15px\">The last edit broke the build; showing the last good version.</strong><ul style=\"margin:8px 0 0;padding-left:18px\">");
        for p in problems {
            s.push_str("<li style=\"white-space:pre-wrap\">");
            s.push_str(&escape_html(p));
            s.push_str("</li>");
        }
        s.push_str("</ul></div>");
    }
    s.push_str(&format!(
        "<script>(function(){{var g={generation};function poll(){{fetch('{base}{POLL_PATH}?gen='+g,{{cache:'no-store'}}).then(function(r){{return r.json()}}).then(function(j){{if(j.generation!==g){{location.reload()}}else{{poll()}}}}).catch(function(){{setTimeout(poll,1000)}})}}poll()}})();</script>"
    ));
    s
}
