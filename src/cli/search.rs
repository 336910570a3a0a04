//! `metricdict search`.

use super::args::{SearchArgs, SearchFormat};
use super::common::*;
use super::config::Config;
use metricdict::search::QueryError;
use metricdict::text::terminal_safe;
use std::path::PathBuf;

/// `metricdict search`.
pub fn run(args: SearchArgs, config: &Config) -> u8 {
    let site = args
        .site
        .or_else(|| config.out.clone())
        .unwrap_or_else(|| PathBuf::from("public"));
    match metricdict::search::search(&site, &args.query, usize::from(args.limit)) {
        Ok(found) => {
            match args.format {
                SearchFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&found.hits).expect("hits serialise")
                ),
                SearchFormat::Text => {
                    for h in &found.hits {
                        let key = terminal_safe(&h.key);
                        println!("{:>8.3}  {:<6}  {key}", h.score, h.kind);
                    }
                }
            }
            if let Some(s) = &found.suggestion {
                eprintln!("did you mean: {}", terminal_safe(s));
            }
            EXIT_OK
        }
        Err(QueryError::Index(e)) => {
            error(format!(
                "cannot search {}: {e} (build the site first)",
                site.display()
            ));
            EXIT_FAILED
        }
        Err(e) => {
            error(e);
            EXIT_FAILED
        }
    }
}
