//! The one integration-test crate: the built binary against moto (started once, on an ephemeral
//! loopback port, by `support::moto`) and against an HTTP stub (wiremock) for what moto does not
//! emulate.

// Test code may unwrap (a panic is how a test fails) and tell the developer things on stderr.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod support;
mod util;

mod bad_input;
mod ci_workflow;
mod client_token;
mod device_lib;
mod diagnose_moto;
mod diagnose_stub;
mod faults;
mod fixture;
mod login_moto;
mod login_srp_stub;
mod login_stub;
mod net;
mod oauth2;
mod refresh_moto;
mod refresh_stub;
mod regression;
mod session_stub;
mod srp_vectors;
mod store_moto;
mod store_stub;
mod store_usage;
mod usage;
