//! `metricdict new` and `metricdict ci`.

use super::args::{NewArgs, Platform};
use super::config::Config;
use std::io::IsTerminal;

/// `metricdict new`.
pub fn run(args: NewArgs, config: &Config) -> u8 {
    let mut request = args.request;
    if request.definitions.is_none() {
        request.definitions = config.definitions.as_ref().and_then(|d| d.first().cloned());
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    metricdict::author::run(args.kind, &request, interactive)
}

/// The CI templates in docs/ci/, embedded so `metricdict ci` works anywhere.
pub fn ci_template(platform: Platform) -> &'static str {
    match platform {
        Platform::Github => include_str!("../../docs/ci/github-pages.yml"),
        _ => include_str!("../../docs/ci/gitlab-ci.yml"),
    }
}
