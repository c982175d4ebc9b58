//! The core of `cognito-refresh`: everything needed to refresh Amazon Cognito user-pool tokens,
//! without the command line.
//!
//! A Lambda function or another program uses it the way the binary does:
//!
//! ```no_run
//! # async fn example() -> Result<(), cognito_refresh::Error> {
//! use cognito_refresh::{Error, Reason, RefreshOptions, SecretString, plan, refresh};
//!
//! let options = RefreshOptions::new("4f1example", SecretString::from("opaque-refresh-token"))
//!     .region("eu-west-1");
//! let plan = plan(options).await?;
//! match refresh(&plan).await {
//!     Ok(tokens) => println!("valid until {}", tokens.expires_at()?),
//!     // Cognito's answer, classified once: no need to read its wording.
//!     Err(e) if e.reason() == Some(Reason::InvalidRefreshToken) => {
//!         println!("another app client's token, or a device key missing: {e}")
//!     }
//!     Err(e) => return Err(e),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! What fails is an [`Error`]: invalid input names the [`Setting`] at fault, and a refusal by
//! Cognito carries its [`Reason`]. Messages name settings as concepts ("the device key"); a
//! front end words them its own way ([`Text::render`]), as the command line does with its flags.
//!
//! Profiles ([`config`]) and the token store ([`store`]) keep tokens between runs:
//! [`fresh_tokens`] serves stored tokens while they are valid and refreshes them, under a
//! per-profile lock, when they are not.
//!
//! The core never prints and never exits. What it decided and why (which region, which username
//! for SECRET_HASH) comes back as [`Note`]s for the caller to log or ignore. Secrets are held in
//! [`SecretString`]s, whose `Debug` prints no value.

pub mod api;
mod builder;
pub mod config;
pub mod diagnose;
pub mod endpoint;
pub mod error;
mod files;
pub mod identity;
pub mod jwt;
#[cfg(test)]
mod layout;
pub mod refresh_token;
pub mod region;
pub mod secret_hash;
pub mod signin;
pub mod sink;
pub mod store;
pub mod text;
pub mod tokens;
pub mod verify;

pub use api::client_token::{ClientToken, ClientTokenRequest, ClientTokenVia, client_token};
pub use api::connection::Connection;
pub use api::plan::{Plan, RefreshOptions, Source, plan};
pub use api::request::{RefreshRequest, Via};
pub use api::{RefreshApi, refresh};
pub use config::{Config, Profile};
pub use diagnose::{Diagnosis, diagnose};
pub use error::{Error, ErrorKind, Operation, Reason, Refusal};
pub use secrecy::{ExposeSecret, SecretString};
pub use signin::{Login, LoginOptions, Prompter, Question, RememberedDevice, Target, login};
pub use store::{Entry, Need, Outcome, Policy, Store, fresh_client_token, fresh_tokens};
pub use text::{Setting, Text};
pub use tokens::{NewDevice, Note, Tokens};

/// `Debug` of every type that carries a secret prints none of it: errors and logs may show
/// these types, the secrets never.
#[cfg(test)]
mod debug_redacts_secrets {
    use super::*;

    const SECRETS: [&str; 5] = [
        "rt-secret-value-1",
        "cs-secret-value-2",
        "at-secret-value-3",
        "it-secret-value-4",
        "rt-rotated-value-5",
    ];

    fn assert_redacted(what: &str, debug: String) {
        for secret in SECRETS {
            assert!(!debug.contains(secret), "{what}: {debug}");
        }
    }

    fn options() -> RefreshOptions {
        let mut o = RefreshOptions::new("client1", SecretString::from(SECRETS[0]))
            .region("eu-west-1")
            .client_secret(SecretString::from(SECRETS[1]))
            .username("alice")
            .endpoint_url("http://127.0.0.1:9");
        o.access_token = Some(SecretString::from(jwt(SECRETS[2])));
        o.id_token = Some(SecretString::from(jwt(SECRETS[3])));
        o
    }

    /// A JWT whose signature part is `signature` (base64url characters only).
    fn jwt(signature: &str) -> String {
        use base64::Engine as _;
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"token_use":"access","username":"alice","client_id":"client1"}"#);
        format!("e30.{claims}.{signature}")
    }

    #[tokio::test]
    async fn requests_and_plans() {
        assert_redacted("RefreshOptions", format!("{:?}", options()));
        // Planning sends nothing.
        let plan = plan(options()).await.unwrap();
        assert_eq!(plan.request.refresh_token.expose_secret(), SECRETS[0]);
        assert_redacted("Plan", format!("{plan:?}"));
        assert_redacted("RefreshRequest", format!("{:?}", plan.request));
        assert_redacted("SECRET_HASH", format!("{:?}", plan.request.secret_hash()));
        assert_redacted("Notes", format!("{:?}", plan.notes));
    }

    #[test]
    fn tokens_and_store_entries() {
        let tokens = Tokens {
            access_token: SecretString::from(jwt(SECRETS[2])),
            id_token: Some(SecretString::from(jwt(SECRETS[3]))),
            token_type: Some("Bearer".into()),
            expires_in: Some(3600),
            refresh_token: Some(SecretString::from(SECRETS[4])),
            new_device: None,
            received_at: 0,
            request_id: None,
        };
        assert_redacted("Tokens", format!("{tokens:?}"));
        let mut entry = Entry::new("client1", SecretString::from(SECRETS[0]));
        entry.update(&tokens);
        assert_eq!(entry.refresh_token.expose_secret(), SECRETS[4]);
        assert_redacted("Entry", format!("{entry:?}"));
    }

    #[test]
    fn profiles_and_config() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            format!(
                "[profiles.ci]\nclient_id = \"c1\"\nclient_secret = \"{}\"\n",
                SECRETS[1]
            ),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let config = config::Config::load(&path).unwrap();
        let secret = config.client_secret("ci").unwrap().unwrap();
        assert_eq!(secret.expose_secret(), SECRETS[1]);
        assert_redacted("Config", format!("{config:?}"));
        assert_redacted("Profile", format!("{:?}", config.profile("ci")));
        assert_redacted("secret", format!("{secret:?}"));
    }
}
