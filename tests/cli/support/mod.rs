//! Shared test support for the integration-test crate.

pub mod browser;
pub mod cognito_local;
pub mod cognito_stub;
pub mod dynamodb;
pub mod jwks;
pub mod jwt;
pub mod machines;
pub mod moto;
pub mod net;
pub mod rotating;
pub mod srp_server;
pub mod wire;

pub use cognito_local::cognito_local;
pub use moto::{Moto, Requests, SETUP_HINT, Session, moto, python};
