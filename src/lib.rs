//! metricdict: a static-site generator for product-analytics metrics dictionaries.
//!
//! Data flows one way: [`discover`] → [`parse`] → [`validate`] (+ [`schema`]) → [`catalog`] →
//! [`render`] / [`search`] / [`export`] → [`output`]. [`site`] runs the stages in order.

pub mod author;
pub mod catalog;
pub mod changes;
pub mod config;
pub mod definition;
pub mod diagnostics;
pub mod discover;
pub mod export;
pub mod output;
pub mod parse;
pub mod register;
pub mod render;
pub mod schema;
pub mod search;
pub mod serve;
pub mod site;
pub mod validate;
