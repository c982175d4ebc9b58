//! The token store: one JSON file per profile, holding the refresh token, the access and ID
//! tokens, their expiry, and the device key and group key.
//!
//! Layout, in a directory that only its owner can read (0700):
//!
//! - `<profile>.json` (0600): the tokens, replaced atomically (a temporary file in the same
//!   directory, flushed to disk, renamed over the old one, and the directory flushed), so a
//!   reader, or a process that dies mid-write, sees the old file or the new, never a torn one;
//! - `<profile>.lock` (0600, empty): every read-refresh-write cycle holds an exclusive lock on
//!   it, so concurrent processes make one refresh between them. Locks are the operating
//!   system's (`flock` on Unix): a process that dies releases its lock.
//!
//! A file that cannot be read, is corrupt, or is of an unknown version is an error that names
//! it, and it is left as it is.
//!
//! A profile can keep its session in a DynamoDB table instead (`dynamodb://TABLE`), shared by
//! machines that use the same session: see [`dynamodb`]'s item and lease. Both stores give the
//! same operations ([`Store`]), so every command works with either.

mod backend;
mod client_credentials;
mod credentials;
mod dynamodb;
mod entry;
mod file;
mod fresh;

pub use backend::{PendingSave, ProfileLock, Store};
pub use client_credentials::fresh_client_token;
pub use credentials::{CredentialsOutcome, CredentialsPolicy, ID_TOKEN_MIN_TTL, fresh_credentials};
pub use dynamodb::{
    DynamoDbSettings, DynamoStore, SCHEME as DYNAMODB_SCHEME, TableCreated, create_table_request,
    parse_store_url,
};
pub use entry::{AwsEntry, ClientCredentials, Entry, FORMAT_VERSION, Need, parse_entry};
pub use fresh::{Outcome, Policy, fresh_tokens};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::tests::token;
    use crate::tokens::{Tokens, now_unix};
    use crate::{Error, ErrorKind};
    use secrecy::{ExposeSecret as _, SecretString};
    use serde_json::json;
    use std::cell::Cell;
    use std::fs;
    use std::path::Path;
    use std::time::Duration;

    fn tokens(exp: i64, rotated: Option<&str>) -> Tokens {
        Tokens {
            access_token: SecretString::from(token(json!({"token_use": "access", "exp": exp}))),
            id_token: Some(SecretString::from(token(
                json!({"token_use": "id", "exp": exp}),
            ))),
            token_type: Some("Bearer".into()),
            expires_in: Some(3600),
            refresh_token: rotated.map(SecretString::from),
            new_device: None,
            received_at: now_unix(),
            request_id: None,
        }
    }

    fn policy() -> Policy {
        Policy {
            need: Need::Access,
            min_ttl: Duration::from_secs(300),
            force: false,
            lock_wait: Duration::from_secs(5),
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("store"));
        (dir, store)
    }

    #[test]
    fn round_trip_and_private_files() {
        let (_dir, store) = store();
        assert!(store.load("ci").unwrap().is_none());
        let mut entry = Entry::new("c1", SecretString::from("rt-1"));
        entry.update(&tokens(now_unix() + 3600, Some("rt-2")));
        entry.device_key = Some("dk".into());
        let lock = store.lock("ci", Duration::from_secs(1)).unwrap();
        store.save(&lock, &entry).unwrap();
        drop(lock);
        let read = store.load("ci").unwrap().unwrap();
        assert_eq!(read.refresh_token.expose_secret(), "rt-2");
        assert_eq!(read.rotation, Some(true));
        assert_eq!(read.device_key.as_deref(), Some("dk"));
        assert_eq!(read.expires_at, entry.expires_at);
        assert_eq!(store.profiles().unwrap(), vec!["ci".to_string()]);
        assert!(!format!("{read:?}").contains("rt-2"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(store.files().dir()), 0o700);
            assert_eq!(mode(&store.files().path("ci")), 0o600);
            assert_eq!(mode(&store.files().lock_path("ci")), 0o600);
        }
    }

    #[test]
    fn freshness() {
        let now = now_unix();
        let mut e = Entry::new("c1", SecretString::from("rt"));
        assert!(!e.is_fresh(Need::Access, Duration::ZERO, now));
        e.update(&tokens(now + 600, None));
        assert!(e.is_fresh(Need::Access, Duration::from_secs(300), now));
        assert!(e.is_fresh(Need::Id, Duration::from_secs(600), now));
        assert!(!e.is_fresh(Need::All, Duration::from_secs(601), now));
        e.id_token = None;
        assert!(!e.is_fresh(Need::Id, Duration::ZERO, now));
        assert!(e.is_fresh(Need::All, Duration::ZERO, now));
    }

    #[test]
    fn fresh_tokens_refreshes_once_then_serves_from_the_store() {
        let (_dir, store) = store();
        let calls = Cell::new(0);
        let refresh = |e: &Entry| -> Result<Tokens, Error> {
            calls.set(calls.get() + 1);
            assert_eq!(e.refresh_token.expose_secret(), "rt-1");
            Ok(tokens(now_unix() + 3600, Some("rt-2")))
        };
        let seed = Entry::new("c1", SecretString::from("rt-1"));
        let (e, outcome) = fresh_tokens(&store, "ci", policy(), Some(seed), refresh).unwrap();
        assert!(matches!(outcome, Outcome::Refreshed(_)));
        assert_eq!(e.refresh_token.expose_secret(), "rt-2");
        let (_, outcome) =
            fresh_tokens(&store, "ci", policy(), None, |_| -> Result<Tokens, Error> {
                panic!("no refresh on a hit")
            })
            .unwrap();
        assert!(matches!(outcome, Outcome::Cached));
        assert_eq!(calls.get(), 1);
        // Forced: the rotated token is the one sent.
        let forced = Policy {
            force: true,
            ..policy()
        };
        let (e, _) = fresh_tokens(&store, "ci", forced, None, |e| -> Result<Tokens, Error> {
            assert_eq!(e.refresh_token.expose_secret(), "rt-2");
            Ok(tokens(now_unix() + 3600, None))
        })
        .unwrap();
        assert_eq!(e.refresh_token.expose_secret(), "rt-2");
        assert_eq!(e.rotation, Some(false));
    }

    #[test]
    fn a_failed_refresh_changes_nothing() {
        let (_dir, store) = store();
        let seed = Entry::new("c1", SecretString::from("rt-1"));
        let err = fresh_tokens(&store, "ci", policy(), Some(seed), |_| {
            Err(Error::new(ErrorKind::TokenRejected, "revoked"))
        })
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TokenRejected);
        assert!(store.load("ci").unwrap().is_none());
        // No temporary file is left behind either.
        let names: Vec<_> = fs::read_dir(store.files().dir())
            .unwrap()
            .flatten()
            .collect();
        assert_eq!(names.len(), 1, "only the lock file: {names:?}");
    }

    #[test]
    fn nothing_stored_is_a_usage_error() {
        let (_dir, store) = store();
        let e = fresh_tokens(&store, "ci", policy(), None, |_| -> Result<Tokens, Error> {
            unreachable!()
        })
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert!(
            matches!(&e, Error::NoSession { profile, .. } if profile == "ci"),
            "{e}"
        );
    }

    #[test]
    fn corrupt_and_future_files_are_errors_and_left_alone() {
        let (_dir, store) = store();
        let lock = store.lock("ci", Duration::from_secs(1)).unwrap();
        drop(lock);
        let path = store.files().path("ci");
        let write = |text: &str| {
            fs::write(&path, text).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
            }
        };
        for (text, says) in [
            (
                "{\"version\": 1, \"client_id\": \"c\", \"refresh_token\": \"secret-rt",
                "truncated",
            ),
            ("not json at all", "not JSON"),
            ("{\"client_id\": \"c\"}", "no format version"),
            (
                "{\"version\": 1, \"client_id\": \"c\", \"refresh_token\": 5, \"updated_at\": 1}",
                "unexpected content",
            ),
            (
                "{\"version\": 1, \"client_id\": \"c\", \"refresh_token\": \"secret-rt\", \
                 \"updated_at\": 1, \"extra\": \"secret-x\"}",
                "unexpected content",
            ),
            (
                "{\"version\": 2, \"refresh_token\": \"secret-rt\"}",
                "format version 2",
            ),
        ] {
            write(text);
            let e = store.load("ci").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Usage);
            let m = e.to_string();
            assert!(m.contains(says), "{text}: {m}");
            assert!(m.contains(&path.display().to_string()), "{m}");
            assert!(!m.contains("secret-"), "{m}");
            assert_eq!(fs::read_to_string(&path).unwrap(), text);
        }
    }

    #[cfg(unix)]
    #[test]
    fn files_others_can_read_are_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let (_dir, store) = store();
        let lock = store.lock("ci", Duration::from_secs(1)).unwrap();
        store
            .save(&lock, &Entry::new("c1", SecretString::from("rt")))
            .unwrap();
        drop(lock);
        fs::set_permissions(store.files().path("ci"), fs::Permissions::from_mode(0o644)).unwrap();
        let e = store.load("ci").unwrap_err();
        assert!(e.to_string().contains("chmod 600"), "{e}");
        fs::set_permissions(store.files().path("ci"), fs::Permissions::from_mode(0o600)).unwrap();
        fs::set_permissions(store.files().dir(), fs::Permissions::from_mode(0o755)).unwrap();
        let e = store.load("ci").unwrap_err();
        assert!(e.to_string().contains("chmod 700"), "{e}");
    }

    #[test]
    fn a_held_lock_makes_others_wait_then_give_up() {
        let (_dir, store) = store();
        let held = store.lock("ci", Duration::from_secs(1)).unwrap();
        let e = store.lock("ci", Duration::from_millis(50)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Transient);
        // Other profiles are not blocked.
        store.lock("other", Duration::from_millis(50)).unwrap();
        drop(held);
        store.lock("ci", Duration::from_millis(50)).unwrap();
    }

    #[test]
    fn stale_temporaries_of_the_profile_are_removed() {
        let (_dir, store) = store();
        drop(store.lock("ci", Duration::from_secs(1)).unwrap());
        let stale = store.files().dir().join(".ci.json.AbC123.tmp");
        let other = store.files().dir().join(".ci-2.json.AbC123.tmp");
        fs::write(&stale, "x").unwrap();
        fs::write(&other, "x").unwrap();
        let lock = store.lock("ci", Duration::from_secs(1)).unwrap();
        store
            .save(&lock, &Entry::new("c1", SecretString::from("rt")))
            .unwrap();
        assert!(!stale.exists());
        assert!(other.exists());
    }
}
