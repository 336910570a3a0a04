//! `metricdict search`.

use super::args::SearchArgs;
use super::common::*;

/// `metricdict search`.
pub fn run(args: SearchArgs) -> u8 {
    use metricdict::search::QueryError;
    match metricdict::search::search(&args.site, &args.query, usize::from(args.limit)) {
        Ok(hits) => {
            if args.format == "json" {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&hits).expect("hits serialise")
                );
            } else {
                for h in hits {
                    let key = metricdict::text::terminal_safe(&h.key);
                    println!("{:>8.3}  {:<6}  {key}", h.score, h.kind);
                }
            }
            EXIT_OK
        }
        Err(QueryError::Index(e)) => {
            eprintln!(
                "error: cannot search {}: {e} (build the site first)",
                args.site.display()
            );
            EXIT_FAILED
        }
        Err(e) => {
            error(e);
            EXIT_FAILED
        }
    }
}
