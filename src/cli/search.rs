//! `metricdict search`.

use super::args::SearchArgs;
use super::common::*;

/// `metricdict search`.
pub fn run(args: SearchArgs) -> u8 {
    match metricdict::search::search(&args.site, &args.query, args.limit) {
        Ok(hits) => {
            if args.format == "json" {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&hits).expect("hits serialise")
                );
            } else {
                for h in hits {
                    println!("{:>8.3}  {:<6}  {}", h.score, h.kind, h.key);
                }
            }
            EXIT_OK
        }
        Err(e) => {
            eprintln!(
                "error: cannot search {}: {e} (build the site first)",
                args.site.display()
            );
            EXIT_FAILED
        }
    }
}
