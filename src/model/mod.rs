//! The data model: what a dictionary is, independent of how it is read, shown or served.
//! Imports nothing else of the crate.

pub mod catalog;
pub mod changes;
pub mod counts;
pub mod definition;
pub mod diagnostics;
pub mod layout;
pub mod order;
pub mod queries;
pub mod record;
pub mod register;
pub mod site;
pub mod version;
