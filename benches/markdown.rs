//! Worst-case markdown render time for descriptions `check` accepts (64 KiB, nesting up to 32
//! levels of block quotes, lists and brackets), beside inputs it refuses, to show the limits
//! bound the build. `cargo bench --bench markdown`.

use metricdict::load::validate::{
    markdown_nesting, MAX_DESCRIPTION_BYTES, MAX_DESCRIPTION_NESTING,
};
use std::time::{Duration, Instant};

fn fill(unit: &str, bytes: usize) -> String {
    let mut s = unit.repeat(bytes / unit.len().max(1) + 1);
    let mut end = bytes.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s
}

fn median_render(text: &str) -> Duration {
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(metricdict::text::markdown(text));
            std::hint::black_box(metricdict::text::plain_text(text));
            t.elapsed()
        })
        .collect();
    times.sort();
    times[2]
}

fn main() {
    let n = MAX_DESCRIPTION_NESTING;
    let cap = MAX_DESCRIPTION_BYTES;
    let deep_unit = format!("{}x {}a]()\n\n", "> ".repeat(n), "[".repeat(n));
    let list_unit: String = (0..n).map(|i| format!("{}- x\n", "  ".repeat(i))).collect();
    let cases: Vec<(&str, String)> = vec![
        (
            "quotes+brackets at the limit, 64 KiB",
            fill(&deep_unit, cap),
        ),
        (
            "nested lists at the limit, 64 KiB",
            fill(&format!("{list_unit}\n"), cap),
        ),
        (
            "32 unclosed brackets a paragraph, 64 KiB",
            fill(&format!("{}a]()\n\n", "[".repeat(n)), cap),
        ),
        ("emphasis runs, 64 KiB", fill("*_a ", cap)),
        ("code spans, 64 KiB", fill("`a ``b", cap)),
        (
            "links and HTML, 64 KiB",
            fill("[a](http://x.y) <b>b</b> ", cap),
        ),
        (
            "plain text, 64 KiB",
            fill("lorem ipsum dolor sit amet ", cap),
        ),
        // Refused by check, for contrast: the cost grows with the square of the nesting (the
        // red team's 300 KB case took 22 s).
        (
            "refused: 2,500 quotes + 2,500 brackets (7.5 KB)",
            format!("{}x {}a]()", "> ".repeat(2500), "[".repeat(2500)),
        ),
        (
            "refused: 10,000 quotes + 10,000 brackets (30 KB)",
            format!("{}x {}a]()", "> ".repeat(10_000), "[".repeat(10_000)),
        ),
    ];
    println!("| input | bytes | nesting | accepted by check | render (median of 5) |");
    println!("|---|---:|---:|---|---:|");
    for (name, text) in cases {
        let nesting = markdown_nesting(&text);
        let accepted = text.len() <= cap && nesting <= n;
        println!(
            "| {name} | {} | {nesting} | {} | {:.1} ms |",
            text.len(),
            if accepted { "yes" } else { "no" },
            median_render(&text).as_secs_f64() * 1e3
        );
    }
}
