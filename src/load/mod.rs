//! Reading a dictionary: find the files ([`discover`]), parse them with positions ([`parse`],
//! `spans`),
//! read GitLab's shapes into the model ([`shapes`]), check them against the JSON schemas
//! ([`schema`]) and the rules schemas cannot express ([`validate`]), read the privacy
//! register ([`register`]), and catalog the result ([`loader`], incrementally for the dev
//! server).

pub mod discover;
pub mod loader;
pub mod parse;
pub mod register;
pub mod schema;
pub mod shapes;
mod spans;
pub mod validate;
mod yaml_value;

pub use loader::{load, Loaded, Loader, Warnings};
