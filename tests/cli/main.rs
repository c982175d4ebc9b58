//! The one integration-test crate: the built binary against moto (started once, on an ephemeral
//! loopback port, by `support::moto`) and against an HTTP stub (wiremock) for what moto does not
//! emulate.

// Test code may unwrap (a panic is how a test fails) and tell the developer things on stderr.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod support;
mod util;

mod action;
mod action_modes;
mod admin_moto;
mod aws_moto;
mod aws_stub;
mod bad_input;
mod ci_workflow;
mod client_token;
mod completions;
mod device_lib;
mod diagnose_moto;
mod diagnose_stub;
mod faults;
mod fixture;
mod json_outputs;
mod login_browser;
mod login_browser_stub;
mod login_moto;
mod login_srp_stub;
mod login_stub;
mod net;
mod oauth2;
mod package;
mod refresh_moto;
mod refresh_stub;
mod regression;
mod session_stub;
mod srp_vectors;
mod store_backends;
mod store_dynamodb;
mod store_dynamodb_fleet;
mod store_moto;
mod store_stub;
mod store_usage;
mod usage;
mod verify_moto;
mod verify_stub;
mod watch_stub;
