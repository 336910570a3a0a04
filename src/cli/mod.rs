//! The `metricdict` command line: arguments ([`args`]), configuration ([`config`]), and one
//! module per command. Part of the binary, not the library: it is the top of the stack.

pub mod args;
pub mod build;
pub mod check;
mod common;
pub mod config;
pub mod init;
pub mod new;
pub mod payload;
pub mod search;
pub mod serve;

pub use common::{error, set_color, EXIT_FAILED, EXIT_OK};
