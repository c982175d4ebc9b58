//! A machine-to-machine access token that is fresh enough: from the store, or asked for once
//! under the profile's lock. Like [`fresh_tokens`](super::fresh_tokens), without a refresh
//! token: a new token is asked for with the app client's own credentials.

use super::backend::Store;
use super::entry::{Entry, no_session};
use super::fresh::{Outcome, Policy};
use crate::Error;
use crate::tokens::{Tokens, now_unix};

/// The app client's access token for `profile`, asked for with `scopes`: the stored one when it
/// was issued to `client_id` for these scopes and stays valid as `policy` asks (no lock, no
/// network), else, under the profile's lock, the one another process stored meanwhile, else
/// what `fetch` returns, saved before this returns. `fetch` is called at most once, under the
/// lock: however many processes ask at once, one request is made.
///
/// A profile whose store holds a user's session (a refresh token) is refused: its refresh
/// token would be lost.
pub fn fresh_client_token<E, F>(
    store: &Store,
    profile: &str,
    policy: Policy,
    client_id: &str,
    scopes: &[String],
    fetch: F,
) -> Result<(Entry, Outcome), E>
where
    E: From<Error>,
    F: FnOnce() -> Result<Tokens, E>,
{
    let usable = |entry: &Entry| -> Result<bool, Error> {
        let Some(asked) = &entry.client_credentials else {
            return Err(no_session(
                profile,
                format!(
                    "the token store holds a user's session (a refresh token) for profile \
                     {profile}, in {}: an app client's own token would replace it; sign out of \
                     that session first, or use another profile",
                    store
                ),
            ));
        };
        Ok(!policy.force
            && entry.client_id == client_id
            && asked.scopes == scopes
            && entry.is_fresh(policy.need, policy.min_ttl, now_unix()))
    };
    if let Some(entry) = store.load(profile)?
        && usable(&entry)?
    {
        return Ok((entry, Outcome::Cached));
    }
    let lock = store.lock(profile, policy.lock_wait)?;
    let current = store.load(profile)?;
    if let Some(entry) = current.clone()
        && usable(&entry)?
    {
        return Ok((entry, Outcome::RefreshedByAnother));
    }
    let pending = store.begin_save(&lock, current.as_ref())?;
    let tokens = fetch()?;
    let mut entry = Entry::for_client_credentials(client_id, scopes.to_vec());
    entry.update(&tokens);
    pending.commit(&entry)?;
    drop(lock);
    Ok((entry, Outcome::Refreshed(Box::new(tokens))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::tests::token;
    use crate::store::Need;
    use secrecy::{ExposeSecret as _, SecretString};
    use serde_json::json;
    use std::cell::Cell;
    use std::time::Duration;

    fn issued(exp: i64) -> Tokens {
        Tokens {
            access_token: SecretString::from(token(json!({"token_use": "access", "exp": exp}))),
            id_token: None,
            token_type: Some("Bearer".into()),
            expires_in: Some(3600),
            refresh_token: None,
            new_device: None,
            received_at: now_unix(),
            request_id: None,
        }
    }

    fn policy() -> Policy {
        Policy::new(Need::All, Duration::from_secs(300), Duration::from_secs(5))
    }

    #[test]
    fn asks_once_then_serves_from_the_store_until_the_scopes_change() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("store"));
        let calls = Cell::new(0);
        let fetch = || -> Result<Tokens, Error> {
            calls.set(calls.get() + 1);
            Ok(issued(now_unix() + 3600))
        };
        let scopes = vec!["orders/read".to_string()];
        let (e, outcome) =
            fresh_client_token(&store, "m2m", policy(), "c1", &scopes, fetch).unwrap();
        assert!(matches!(outcome, Outcome::Refreshed(_)));
        assert!(e.refresh_token.expose_secret().is_empty());
        let read = store.load("m2m").unwrap().unwrap();
        assert_eq!(read.client_credentials.unwrap().scopes, scopes);
        let (_, outcome) =
            fresh_client_token(&store, "m2m", policy(), "c1", &scopes, fetch).unwrap();
        assert!(matches!(outcome, Outcome::Cached));
        assert_eq!(calls.get(), 1);
        // Other scopes, another client, or --force: a new token.
        fresh_client_token(&store, "m2m", policy(), "c1", &[], fetch).unwrap();
        fresh_client_token(&store, "m2m", policy(), "c2", &[], fetch).unwrap();
        fresh_client_token(&store, "m2m", policy().force(true), "c2", &[], fetch).unwrap();
        assert_eq!(calls.get(), 4);
    }

    #[test]
    fn a_users_session_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("store"));
        let lock = store.lock("dev", Duration::from_secs(1)).unwrap();
        store
            .save(&lock, &Entry::new("c1", SecretString::from("rt-1")))
            .unwrap();
        drop(lock);
        let fetch = || -> Result<Tokens, Error> { panic!("nothing may be asked for") };
        let e =
            fresh_client_token(&store, "dev", policy().force(true), "c1", &[], fetch).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Usage);
        let kept = store.load("dev").unwrap().unwrap();
        assert_eq!(kept.refresh_token.expose_secret(), "rt-1");
    }

    /// A file without a refresh token is an app client's entry, or corrupt.
    #[test]
    fn only_an_app_clients_entry_goes_without_a_refresh_token() {
        let path = std::path::Path::new("/store/x.json");
        let m2m = br#"{"version": 1, "client_id": "c1", "updated_at": 1, "client_credentials": {"scopes": []}}"#;
        let entry = crate::store::parse_entry(m2m, path, "x").unwrap();
        assert_eq!(entry.client_credentials, Some(Default::default()));
        let broken = br#"{"version": 1, "client_id": "c1", "updated_at": 1}"#;
        let e = crate::store::parse_entry(broken, path, "x").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Usage);
    }
}
