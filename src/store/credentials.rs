//! AWS credentials that are fresh enough: from the store, or fetched once under the profile's
//! lock, after the ID token they are fetched with is refreshed under the same lock.

use super::backend::Store;
use super::entry::{AwsEntry, Entry, Need, no_session};
use crate::Error;
use crate::tokens::{Tokens, now_unix};
use std::time::Duration;

/// What [`fresh_credentials`] did.
#[derive(Debug)]
#[non_exhaustive]
pub enum CredentialsOutcome {
    /// The stored credentials were valid: nothing was sent anywhere.
    Cached,
    /// Another process fetched them while this one waited for the lock.
    FetchedByAnother,
    /// This process fetched them; `tokens` when it refreshed the user's tokens first.
    Fetched { tokens: Option<Box<Tokens>> },
}

/// Which credentials, and when they are good enough.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CredentialsPolicy {
    pub identity_pool_id: String,
    pub role_arn: Option<String>,
    /// Fetch new credentials when the stored ones expire within this.
    pub min_ttl: Duration,
    /// Fetch even when the stored credentials are valid.
    pub force: bool,
    /// Give up waiting for the profile's lock after this.
    pub lock_wait: Duration,
}

impl CredentialsPolicy {
    pub fn new(
        identity_pool_id: String,
        role_arn: Option<String>,
        min_ttl: Duration,
        lock_wait: Duration,
    ) -> Self {
        CredentialsPolicy {
            identity_pool_id,
            role_arn,
            min_ttl,
            force: false,
            lock_wait,
        }
    }

    /// Fetch even when the stored credentials are valid.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    fn served_by(&self, entry: &Entry) -> bool {
        !self.force
            && entry.aws.as_ref().is_some_and(|aws| {
                aws.serves(
                    &self.identity_pool_id,
                    self.role_arn.as_deref(),
                    self.min_ttl,
                    now_unix(),
                )
            })
    }
}

/// The ID token is refreshed before it is sent when it expires within this: it only has to
/// outlive the two calls that follow.
pub const ID_TOKEN_MIN_TTL: Duration = Duration::from_secs(60);

/// AWS credentials for `profile`'s user that satisfy `policy`: the stored ones when they are
/// fresh enough (no lock, no network), else, under the profile's lock, the stored ones when
/// another process fetched them meanwhile, else: the user's tokens refreshed with `refresh`
/// when the ID token is about to expire, then `fetch` with the entry (its fresh ID token, and
/// the credentials stored before, whose identity id may serve again), all saved before this
/// returns. A refresh whose fetch fails is saved all the same: a rotated refresh token is never
/// lost.
pub fn fresh_credentials<E, R, F>(
    store: &Store,
    profile: &str,
    policy: &CredentialsPolicy,
    refresh: R,
    fetch: F,
) -> Result<(Entry, CredentialsOutcome), E>
where
    E: From<Error>,
    R: FnOnce(&Entry) -> Result<Tokens, E>,
    F: FnOnce(&Entry) -> Result<AwsEntry, E>,
{
    let no_tokens = || {
        no_session(
            profile,
            format!(
                "no tokens are stored for profile {profile} (in {}): sign in or save a refresh \
                 token of profile {profile} first",
                store
            ),
        )
    };
    match store.load(profile)? {
        Some(entry) if policy.served_by(&entry) => return Ok((entry, CredentialsOutcome::Cached)),
        None => return Err(no_tokens().into()),
        _ => {}
    }
    let lock = store.lock(profile, policy.lock_wait)?;
    let Some(mut entry) = store.load(profile)? else {
        return Err(no_tokens().into());
    };
    if policy.served_by(&entry) {
        return Ok((entry, CredentialsOutcome::FetchedByAnother));
    }
    let pending = store.begin_save(&lock, Some(&entry))?;
    let tokens = match entry.is_fresh(Need::Id, ID_TOKEN_MIN_TTL, now_unix()) {
        true => None,
        false => {
            let tokens = refresh(&entry)?;
            entry.update(&tokens);
            Some(Box::new(tokens))
        }
    };
    match fetch(&entry) {
        Ok(aws) => {
            entry.aws = Some(aws);
            entry.updated_at = now_unix();
            pending.commit(&entry)?;
            Ok((entry, CredentialsOutcome::Fetched { tokens }))
        }
        Err(e) => {
            if tokens.is_some() {
                pending.commit(&entry)?;
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::AwsCredentials;
    use crate::jwt::tests::token;
    use crate::{ErrorKind, SecretString};
    use secrecy::ExposeSecret as _;
    use serde_json::json;
    use std::cell::Cell;

    fn tokens(exp: i64, rotated: Option<&str>) -> Tokens {
        Tokens {
            access_token: SecretString::from(token(json!({"token_use": "access", "exp": exp}))),
            id_token: Some(SecretString::from(token(
                json!({"token_use": "id", "exp": exp}),
            ))),
            token_type: None,
            expires_in: None,
            refresh_token: rotated.map(SecretString::from),
            new_device: None,
            received_at: now_unix(),
            request_id: None,
        }
    }

    fn aws(pool: &str, expires_in: i64) -> AwsEntry {
        AwsEntry::new(
            pool.into(),
            "eu-west-1:identity-1".into(),
            None,
            None,
            AwsCredentials::new(
                "ASIAEXAMPLE".into(),
                SecretString::from("secret-key-value"),
                SecretString::from("session-token-value"),
                now_unix() + expires_in,
            ),
        )
    }

    fn policy() -> CredentialsPolicy {
        CredentialsPolicy::new(
            "eu-west-1:pool".into(),
            None,
            Duration::from_secs(300),
            Duration::from_secs(5),
        )
    }

    /// A store whose profile `ci` has tokens expiring in `expires_in` seconds.
    fn stored(expires_in: i64) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("store"));
        let mut entry = Entry::new("c1", SecretString::from("rt-1"));
        entry.update(&tokens(now_unix() + expires_in, None));
        let lock = store.lock("ci", Duration::from_secs(1)).unwrap();
        store.save(&lock, &entry).unwrap();
        (dir, store)
    }

    fn no_refresh(_: &Entry) -> Result<Tokens, Error> {
        panic!("the ID token is fresh: no refresh")
    }

    #[test]
    fn fetched_once_then_served_from_the_store() {
        let (_dir, store) = stored(3600);
        let fetches = Cell::new(0);
        let fetch = |_: &Entry| -> Result<AwsEntry, Error> {
            fetches.set(fetches.get() + 1);
            Ok(aws("eu-west-1:pool", 3600))
        };
        let (entry, outcome) =
            fresh_credentials(&store, "ci", &policy(), no_refresh, fetch).unwrap();
        assert!(matches!(
            outcome,
            CredentialsOutcome::Fetched { tokens: None }
        ));
        assert_eq!(entry.aws.unwrap().credentials.access_key_id, "ASIAEXAMPLE");
        let (entry, outcome) =
            fresh_credentials(&store, "ci", &policy(), no_refresh, fetch).unwrap();
        assert!(matches!(outcome, CredentialsOutcome::Cached));
        let stored = entry.aws.unwrap();
        assert_eq!(
            stored.credentials.session_token.expose_secret(),
            "session-token-value"
        );
        assert_eq!(fetches.get(), 1);
        // Another pool, or a role, or --force: fetched again.
        let other = CredentialsPolicy::new(
            "eu-west-1:other".into(),
            None,
            Duration::ZERO,
            Duration::from_secs(5),
        );
        fresh_credentials(&store, "ci", &other, no_refresh, fetch).unwrap();
        let role = CredentialsPolicy {
            role_arn: Some("arn:aws:iam::1:role/r".into()),
            ..policy()
        };
        fresh_credentials(&store, "ci", &role, no_refresh, fetch).unwrap();
        fresh_credentials(&store, "ci", &policy().force(true), no_refresh, fetch).unwrap();
        assert_eq!(fetches.get(), 4);
    }

    #[test]
    fn credentials_expiring_within_min_ttl_are_fetched_again() {
        let (_dir, store) = stored(3600);
        let ok = |_: &Entry| -> Result<AwsEntry, Error> { Ok(aws("eu-west-1:pool", 90)) };
        fresh_credentials(&store, "ci", &policy(), no_refresh, ok).unwrap();
        let (_, outcome) = fresh_credentials(&store, "ci", &policy(), no_refresh, ok).unwrap();
        assert!(matches!(outcome, CredentialsOutcome::Fetched { .. }));
        let short = CredentialsPolicy {
            min_ttl: Duration::from_secs(30),
            ..policy()
        };
        let (_, outcome) = fresh_credentials(&store, "ci", &short, no_refresh, ok).unwrap();
        assert!(matches!(outcome, CredentialsOutcome::Cached));
    }

    #[test]
    fn an_expiring_id_token_is_refreshed_first_and_kept_when_the_fetch_fails() {
        let (_dir, store) = stored(30);
        let refreshed = Cell::new(false);
        let refresh = |e: &Entry| -> Result<Tokens, Error> {
            assert_eq!(e.refresh_token.expose_secret(), "rt-1");
            refreshed.set(true);
            Ok(tokens(now_unix() + 3600, Some("rt-2")))
        };
        let e = fresh_credentials(&store, "ci", &policy(), refresh, |e: &Entry| {
            // The fetch sees the new ID token.
            assert!(e.is_fresh(Need::Id, Duration::from_secs(3000), now_unix()));
            Err::<AwsEntry, _>(Error::new(ErrorKind::Misconfigured, "not trusted"))
        })
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Misconfigured);
        assert!(refreshed.get());
        let kept = store.load("ci").unwrap().unwrap();
        assert_eq!(kept.refresh_token.expose_secret(), "rt-2");
        assert!(kept.aws.is_none());
    }

    #[test]
    fn debug_shows_no_aws_secret() {
        let (_dir, store) = stored(3600);
        let (entry, _) = fresh_credentials(&store, "ci", &policy(), no_refresh, |_: &Entry| {
            Ok::<_, Error>(aws("eu-west-1:pool", 3600))
        })
        .unwrap();
        let debug = format!("{entry:?}");
        assert!(debug.contains("ASIAEXAMPLE"), "{debug}");
        for secret in ["secret-key-value", "session-token-value"] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }

    #[test]
    fn nothing_stored_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("store"));
        let e = fresh_credentials(&store, "ci", &policy(), no_refresh, |_: &Entry| {
            Ok::<_, Error>(aws("eu-west-1:pool", 3600))
        })
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
    }
}
