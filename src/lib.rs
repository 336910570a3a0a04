//! metricdict: a static-site generator for product-analytics metrics dictionaries.
//!
//! Data flows one way, and modules import only downward (`tests/layering.rs` fails otherwise):
//!
//! - [`model`] and [`text`]: what a dictionary is; markdown and escaping. Import nothing else.
//! - [`load`]: discover, parse, read shapes, check, catalog.
//! - [`render`], [`search`], [`export`], [`changes`], [`report`]: outputs of a loaded catalog;
//!   [`payload`] checks a Service Ping payload against one.
//! - [`build`]: the pipeline, one-off or for the dev server, and the output folder.
//! - [`serve`] and [`author`]: the dev server and `metricdict new`.
//! - The command line (`src/main.rs`, `src/cli/`) sits on top.

pub mod author;
pub mod build;
pub mod changes;
pub mod export;
pub mod load;
pub mod model;
pub mod payload;
pub mod render;
pub mod report;
pub mod search;
pub mod serve;
pub mod text;
