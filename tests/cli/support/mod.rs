//! Shared test support for the integration-test crate.

pub mod moto;

pub use moto::{Moto, Requests, SETUP_HINT, Session, moto, python};
