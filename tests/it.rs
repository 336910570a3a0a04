//! The integration tests, as one test binary: each `tests/<area>.rs` is a module of this crate
//! (`Cargo.toml` sets `autotests = false` and names only this file). Linking the binary's
//! dependencies (tantivy, tera, headless_chrome, …) once instead of once per file is most of
//! what a cold `cargo test` costs. Run one area with `cargo test --test it browser_tables::`.
//!
//! A new `tests/<area>.rs` needs its `mod <area>;` line here (and `use crate::common;` in place
//! of `mod common;`); `every_test_file_is_a_module_here` fails until it has one.

mod common;
mod versions_fixture;

mod author;
mod browser;
mod browser_pages;
mod browser_payload;
mod browser_search;
mod browser_tables;
mod browser_versions;
mod build;
mod changes;
mod check;
mod ci_template;
mod cli;
mod corpus;
mod definition_pages;
mod fuzz;
mod hardening;
mod layering;
mod legal_pages;
mod payload;
mod queries;
mod search;
mod search_eval;
mod search_stems;
mod serve;
mod urls;
mod versions;

/// With `autotests = false`, Cargo no longer builds each `tests/*.rs` on its own: a file not
/// declared above would silently never run.
#[test]
fn every_test_file_is_a_module_here() {
    let tests = common::repo().join("tests");
    let root = common::read(tests.join("it.rs"));
    let mut missing = Vec::new();
    for e in std::fs::read_dir(&tests).unwrap() {
        let path = e.unwrap().path();
        let is_module = path.extension().is_some_and(|x| x == "rs")
            || path.join("mod.rs").is_file()
            || path.join("main.rs").is_file();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if is_module && name != "it" && !root.contains(&format!("\nmod {name};\n")) {
            missing.push(path.display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "not compiled into the test binary (add `mod <name>;` to tests/it.rs): {missing:?}"
    );
}
