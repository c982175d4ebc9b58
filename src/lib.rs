//! The core of `cognito-refresh`: everything needed to refresh Amazon Cognito user-pool tokens,
//! without the command line.
//!
//! A Lambda function or another program uses it the way the binary does:
//!
//! ```no_run
//! # async fn example() -> Result<(), cognito_refresh::Error> {
//! use cognito_refresh::{RefreshOptions, SecretString, plan, refresh};
//!
//! let options = RefreshOptions::new("4f1example", SecretString::from("opaque-refresh-token"))
//!     .region("eu-west-1");
//! let plan = plan(options).await?;
//! let tokens = refresh(&plan).await?;
//! println!("valid until {}", tokens.expires_at()?);
//! # Ok(())
//! # }
//! ```
//!
//! Profiles ([`config`]) and the token store ([`store`]) keep tokens between runs:
//! [`fresh_tokens`] serves stored tokens while they are valid and refreshes them, under a
//! per-profile lock, when they are not.
//!
//! The core never prints and never exits. What it decided and why (which region, which username
//! for SECRET_HASH) comes back as [`Note`]s for the caller to log or ignore. Secrets are held in
//! [`SecretString`]s, whose `Debug` prints no value.

pub mod cognito;
pub mod config;
pub mod diagnose;
pub mod endpoint;
pub mod error;
mod files;
pub mod jwt;
pub mod login;
pub mod oauth2;
pub mod refresh;
pub mod region;
pub mod secret_hash;
pub mod srp;
pub mod store;

pub use error::{Error, ErrorKind};
pub use refresh::{
    NewDevice, Note, Plan, RefreshApi, RefreshOptions, Source, Tokens, plan, refresh,
};
pub use secrecy::{ExposeSecret, SecretString};
pub use store::{Entry, Need, Outcome, Policy, Store, fresh_tokens};
