//! The binary, and only it: the command line, the settings it resolves, the subcommands, and
//! what they print. The library (`cognito_refresh`) never imports from here.

pub mod args;
pub mod aws;
pub mod browser;
pub mod commands;
pub mod ctx;
pub mod hints;
pub mod input;
pub mod keeper;
pub mod log;
pub mod m2m;
pub mod output;
pub mod profile;
pub mod prompt;
pub mod report;
pub mod secrets;
pub mod settings;
pub mod usage;
