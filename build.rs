//! Stamps the binary with the commit it was built from and that commit's date, for
//! `metricdict --version`. Without git (a source archive, a slim CI image), CI's own variables
//! name the commit and SOURCE_DATE_EPOCH the date; otherwise they read "unknown".

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

fn main() {
    let commit = git(&["rev-parse", "--short=10", "HEAD"])
        .or_else(|| std::env::var("CI_COMMIT_SHA").ok())
        .or_else(|| std::env::var("GITHUB_SHA").ok())
        .map(|c| c.chars().take(10).collect::<String>())
        .unwrap_or_else(|| "unknown".into());
    let date = git(&["log", "-1", "--format=%cs"])
        .or_else(|| {
            let secs: i64 = std::env::var("SOURCE_DATE_EPOCH")
                .ok()?
                .trim()
                .parse()
                .ok()?;
            let days = secs.div_euclid(86_400);
            Some(civil_date(days))
        })
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=METRICDICT_BUILD_COMMIT={commit}");
    println!("cargo:rustc-env=METRICDICT_BUILD_DATE={date}");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs");
    println!("cargo:rerun-if-env-changed=CI_COMMIT_SHA");
    println!("cargo:rerun-if-env-changed=GITHUB_SHA");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
}

/// `YYYY-MM-DD` of a day count since 1970-01-01 (Howard Hinnant's civil-from-days; a build
/// script cannot use the crate's dependencies).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
