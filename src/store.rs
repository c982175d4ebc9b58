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

use crate::config::{base_dir, check_profile_name};
use crate::files::{self, Replacement};
use crate::jwt;
use crate::tokens::{Tokens, now_unix};
use crate::{Error, ErrorKind};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The version of the file format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Larger than any store file: tokens are a few KiB.
const MAX_STORE_BYTES: u64 = 1024 * 1024;

/// The tokens of one profile.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The app client the refresh token was issued to.
    pub client_id: String,
    pub refresh_token: SecretString,
    pub access_token: Option<SecretString>,
    pub id_token: Option<SecretString>,
    /// When the access token expires, seconds since the Unix epoch.
    pub expires_at: Option<i64>,
    pub device_key: Option<String>,
    pub device_group_key: Option<String>,
    /// The remembered device's password (`login --remember-device`), for DEVICE_SRP_AUTH.
    pub device_password: Option<SecretString>,
    /// Whether Cognito returned a new refresh token at the last refresh (the app client
    /// rotates them); unknown before the first refresh.
    pub rotation: Option<bool>,
    /// When the tokens were last refreshed, seconds since the Unix epoch.
    pub refreshed_at: Option<i64>,
    /// When the entry was last written, seconds since the Unix epoch.
    pub updated_at: i64,
}

/// Which tokens a caller needs valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The access token.
    Access,
    /// The ID token.
    Id,
    /// The access token, and the ID token too when one is stored.
    All,
}

impl Entry {
    pub fn new(client_id: impl Into<String>, refresh_token: SecretString) -> Entry {
        Entry {
            client_id: client_id.into(),
            refresh_token,
            access_token: None,
            id_token: None,
            expires_at: None,
            device_key: None,
            device_group_key: None,
            device_password: None,
            rotation: None,
            refreshed_at: None,
            updated_at: now_unix(),
        }
    }

    /// When the tokens `need` names expire (the earliest), seconds since the Unix epoch;
    /// `None` when one of them is missing.
    pub fn expires_at_for(&self, need: Need) -> Option<i64> {
        let access = self.access_token.as_ref().and(self.expires_at);
        let id = self.id_token.as_ref().map(|t| {
            jwt::decode(t.expose_secret())
                .ok()
                .and_then(|j| j.claims.expires())
                .or(self.expires_at)
        });
        match need {
            Need::Access => access,
            Need::Id => id.flatten(),
            Need::All => match id {
                None => access,
                Some(id) => Some(access?.min(id?)),
            },
        }
    }

    /// Whether the tokens `need` names stay valid for at least `min_ttl` after `now`.
    pub fn is_fresh(&self, need: Need, min_ttl: Duration, now: i64) -> bool {
        let min = i64::try_from(min_ttl.as_secs()).unwrap_or(i64::MAX);
        self.expires_at_for(need)
            .is_some_and(|at| at.saturating_sub(now) >= min)
    }

    /// Takes in what a refresh returned: new tokens, a rotated refresh token, a new device.
    pub fn update(&mut self, tokens: &Tokens) {
        self.access_token = Some(tokens.access_token.clone());
        // A refresh without an ID token leaves none: an older one would not match.
        self.id_token = tokens.id_token.clone();
        self.expires_at = tokens.expires_at_unix();
        self.rotation = Some(tokens.refresh_token.is_some());
        if let Some(rotated) = &tokens.refresh_token {
            self.refresh_token = rotated.clone();
        }
        if let Some(device) = &tokens.new_device {
            if device.device_key.is_some() && device.device_key != self.device_key {
                // Another device: the stored password is not its password.
                self.device_password = None;
            }
            if device.device_key.is_some() {
                self.device_key = device.device_key.clone();
            }
            if device.device_group_key.is_some() {
                self.device_group_key = device.device_group_key.clone();
            }
        }
        self.refreshed_at = Some(tokens.received_at);
        self.updated_at = now_unix();
    }
}

/// The file format. Secrets are exposed only to serialize them into a 0600 file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    version: u32,
    client_id: String,
    refresh_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device_group_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device_password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rotation: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refreshed_at: Option<i64>,
    updated_at: i64,
}

/// Just the version, read first: a newer format may differ in everything else.
#[derive(Deserialize)]
struct VersionProbe {
    version: Option<serde_json::Value>,
}

impl EntryFile {
    fn from_entry(e: &Entry) -> EntryFile {
        let expose = |s: &SecretString| s.expose_secret().to_string();
        EntryFile {
            version: FORMAT_VERSION,
            client_id: e.client_id.clone(),
            refresh_token: expose(&e.refresh_token),
            access_token: e.access_token.as_ref().map(expose),
            id_token: e.id_token.as_ref().map(expose),
            expires_at: e.expires_at,
            device_key: e.device_key.clone(),
            device_group_key: e.device_group_key.clone(),
            device_password: e.device_password.as_ref().map(expose),
            rotation: e.rotation,
            refreshed_at: e.refreshed_at,
            updated_at: e.updated_at,
        }
    }

    fn into_entry(self) -> Entry {
        Entry {
            client_id: self.client_id,
            refresh_token: SecretString::from(self.refresh_token),
            access_token: self.access_token.map(SecretString::from),
            id_token: self.id_token.map(SecretString::from),
            expires_at: self.expires_at,
            device_key: self.device_key,
            device_group_key: self.device_group_key,
            device_password: self.device_password.map(SecretString::from),
            rotation: self.rotation,
            refreshed_at: self.refreshed_at,
            updated_at: self.updated_at,
        }
    }
}

/// A token store directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// The exclusive lock on one profile, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct ProfileLock {
    file: fs::File,
    profile: String,
}

impl ProfileLock {
    pub fn profile(&self) -> &str {
        &self.profile
    }
}

impl Drop for ProfileLock {
    fn drop(&mut self) {
        // Closing the file releases the lock as well; unlocking first says so explicitly.
        let _ = self.file.unlock();
    }
}

/// What [`fresh_tokens`] did.
#[derive(Debug)]
pub enum Outcome {
    /// The stored tokens were valid: nothing was sent anywhere.
    Cached,
    /// Another process refreshed them while this one waited for the lock.
    RefreshedByAnother,
    /// This process refreshed them; here is what Cognito returned.
    Refreshed(Box<Tokens>),
}

/// When to refresh, and how long to wait for another process's refresh.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub need: Need,
    /// Refresh when the tokens expire within this.
    pub min_ttl: Duration,
    /// Refresh even when the tokens are valid.
    pub force: bool,
    /// Give up waiting for the profile's lock after this.
    pub lock_wait: Duration,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    /// `$XDG_STATE_HOME/cognito-refresh`, else `~/.local/state/cognito-refresh`.
    pub fn default_dir() -> Option<PathBuf> {
        base_dir("XDG_STATE_HOME", ".local/state").map(|d| d.join("cognito-refresh"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file holding a profile's tokens.
    pub fn path(&self, profile: &str) -> PathBuf {
        self.dir.join(format!("{profile}.json"))
    }

    fn lock_path(&self, profile: &str) -> PathBuf {
        self.dir.join(format!("{profile}.lock"))
    }

    /// Checks the directory, when it exists: a directory, owned by this user, private.
    /// Returns whether it exists.
    fn check_dir(&self) -> Result<bool, Error> {
        match fs::metadata(&self.dir) {
            Ok(meta) if meta.is_dir() => {
                files::check_private(&self.dir, &meta, "token store directory")?;
                Ok(true)
            }
            Ok(_) => Err(Error::usage(format!(
                "the token store {} is not a directory",
                self.dir.display()
            ))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(files::io_error(
                format!("cannot read the token store {}", self.dir.display()),
                &e,
            )),
        }
    }

    /// Reads a profile's tokens; `None` when none are stored. Takes no lock: files are replaced
    /// atomically, so what is read is whole.
    pub fn load(&self, profile: &str) -> Result<Option<Entry>, Error> {
        check_profile_name(profile)?;
        if !self.check_dir()? {
            return Ok(None);
        }
        let path = self.path(profile);
        let cannot = |e: &io::Error| {
            files::io_error(
                format!("cannot read the token store file {}", path.display()),
                e,
            )
        };
        let file = match fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(cannot(&e)),
        };
        let meta = file.metadata().map_err(|e| cannot(&e))?;
        if !meta.is_file() {
            return Err(Error::usage(format!(
                "the token store file {} is not a regular file",
                path.display()
            )));
        }
        files::check_private(&path, &meta, "token store file")?;
        let mut bytes = Vec::new();
        file.take(MAX_STORE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| cannot(&e))?;
        if bytes.len() as u64 > MAX_STORE_BYTES {
            return Err(corrupt(&path, profile, "larger than 1 MiB".into()));
        }
        parse_entry(&bytes, &path, profile).map(Some)
    }

    /// Waits for the exclusive lock on a profile, at most `wait`. Creates the directory
    /// (0700) when needed, and refuses one that is read-only.
    pub fn lock(&self, profile: &str, wait: Duration) -> Result<ProfileLock, Error> {
        check_profile_name(profile)?;
        if !self.check_dir()? {
            files::create_private_dir(&self.dir, "token store directory")?;
        }
        let meta = fs::metadata(&self.dir).map_err(|e| {
            files::io_error(
                format!("cannot read the token store {}", self.dir.display()),
                &e,
            )
        })?;
        files::check_writable_dir(&self.dir, &meta, "token store directory")?;
        let path = self.lock_path(profile);
        let mut options = fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path).map_err(|e| {
            files::io_error(format!("cannot open the lock file {}", path.display()), &e)
        })?;
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(2);
        loop {
            match file.try_lock() {
                Ok(()) => {
                    return Ok(ProfileLock {
                        file,
                        profile: profile.to_string(),
                    });
                }
                Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(pause.min(deadline - Instant::now()));
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(Error::new(
                        ErrorKind::Transient,
                        format!(
                            "profile {profile} is locked by another process (its lock file is \
                             {}) for more than {} s: try again",
                            path.display(),
                            wait.as_secs()
                        ),
                    ));
                }
                Err(fs::TryLockError::Error(e)) => {
                    return Err(files::io_error(
                        format!("cannot lock {}", path.display()),
                        &e,
                    ));
                }
            }
        }
    }

    /// Starts replacing a profile's file: the temporary file is created now, which proves the
    /// directory writable before anything worth keeping (a rotated refresh token) exists.
    /// Temporary files that a process which died while holding the lock left behind are removed.
    pub fn begin_save(&self, lock: &ProfileLock) -> Result<PendingSave, Error> {
        let path = self.path(&lock.profile);
        self.remove_stale_temporaries(&lock.profile);
        let replacement = Replacement::begin(&path, "token store file")?;
        Ok(PendingSave { replacement, path })
    }

    /// Writes a profile's tokens, under its lock.
    pub fn save(&self, lock: &ProfileLock, entry: &Entry) -> Result<(), Error> {
        self.begin_save(lock)?.commit(entry)
    }

    fn remove_stale_temporaries(&self, profile: &str) {
        let prefix = files::temp_prefix(&format!("{profile}.json"));
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // `.<profile>.json.<random>.tmp`: profile names have no dots, so the prefix
            // belongs to this profile alone.
            if let Some(rest) = name.strip_prefix(&prefix)
                && rest.strip_suffix(".tmp").is_some_and(|r| !r.contains('.'))
            {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// Removes a profile's tokens, under its lock. Returns whether there were any.
    pub fn remove(&self, lock: &ProfileLock) -> Result<bool, Error> {
        let path = self.path(&lock.profile);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(files::io_error(
                format!("cannot remove the token store file {}", path.display()),
                &e,
            )),
        }
    }

    /// The profiles that have a file in the store.
    pub fn profiles(&self) -> Result<Vec<String>, Error> {
        if !self.check_dir()? {
            return Ok(Vec::new());
        }
        let entries = fs::read_dir(&self.dir).map_err(|e| {
            files::io_error(
                format!("cannot list the token store {}", self.dir.display()),
                &e,
            )
        })?;
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let profile = name.strip_suffix(".json")?;
                check_profile_name(profile).ok()?;
                Some(profile.to_string())
            })
            .collect();
        names.sort();
        Ok(names)
    }
}

/// A profile's new file, begun and not yet in place.
#[derive(Debug)]
pub struct PendingSave {
    replacement: Replacement,
    path: PathBuf,
}

impl PendingSave {
    pub fn commit(self, entry: &Entry) -> Result<(), Error> {
        let bytes = serde_json::to_vec_pretty(&EntryFile::from_entry(entry)).map_err(|e| {
            Error::new(
                ErrorKind::Other,
                format!(
                    "cannot encode the token store file {}: {e}",
                    self.path.display()
                ),
            )
        })?;
        self.replacement.commit(&bytes, "token store file")
    }
}

/// A profile's tokens from a store file's bytes, checked as [`Store::load`] checks them; `path`
/// and `profile` only name the file in errors. Errors never quote the content.
pub fn parse_entry(bytes: &[u8], path: &Path, profile: &str) -> Result<Entry, Error> {
    // serde_json's messages may quote the content, which is secret: say where, not what.
    let probe: VersionProbe = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(path, profile, describe_json_error(&e)))?;
    match probe.version {
        Some(v) if v.as_u64() == Some(u64::from(FORMAT_VERSION)) => {}
        Some(v) => {
            let version = v
                .as_u64()
                .map_or_else(|| "not a number".into(), |n| n.to_string());
            return Err(Error::usage(format!(
                "the token store file {} has format version {version}, which this cognito-refresh \
                 ({}) does not know (written by a newer one?); it was left untouched",
                path.display(),
                env!("CARGO_PKG_VERSION")
            )));
        }
        None => return Err(corrupt(path, profile, "it has no format version".into())),
    }
    let file: EntryFile = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(path, profile, describe_json_error(&e)))?;
    Ok(file.into_entry())
}

fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => "it ends too early (truncated?)".into(),
        Category::Syntax => format!("not JSON at line {}, column {}", e.line(), e.column()),
        Category::Data => format!(
            "unexpected content at line {}, column {}",
            e.line(),
            e.column()
        ),
        Category::Io => "cannot be read".into(),
    }
}

fn corrupt(path: &Path, profile: &str, why: String) -> Error {
    no_session(
        profile,
        format!(
            "the token store file {} is corrupt ({why}); it was left untouched: move it away and \
         save a refresh token of profile {profile} again",
            path.display()
        ),
    )
}

fn no_session(profile: &str, message: String) -> Error {
    Error::NoSession {
        profile: profile.to_string(),
        message: message.into(),
    }
}

/// Tokens for `profile` that satisfy `policy`: the stored ones when they are fresh enough
/// (no lock, no network), else, under the profile's lock, the stored ones when another process
/// refreshed them meanwhile, else the result of `refresh`, saved before this returns. A
/// rotated refresh token is thus on disk before the caller can print anything.
///
/// `seed` stands for the stored entry when the store has none (a first refresh with a refresh
/// token given some other way). `refresh` is called at most once, under the lock, with the
/// entry to refresh.
pub fn fresh_tokens<E, F>(
    store: &Store,
    profile: &str,
    policy: Policy,
    seed: Option<Entry>,
    refresh: F,
) -> Result<(Entry, Outcome), E>
where
    E: From<Error>,
    F: FnOnce(&Entry) -> Result<Tokens, E>,
{
    let no_tokens = || {
        no_session(
            profile,
            format!(
                "no tokens are stored for profile {profile} (in {}): save a refresh token \
             of profile {profile} first",
                store.dir().display()
            ),
        )
    };
    match store.load(profile)? {
        Some(entry) if !policy.force && entry.is_fresh(policy.need, policy.min_ttl, now_unix()) => {
            return Ok((entry, Outcome::Cached));
        }
        // Nothing to refresh: say so without creating anything.
        None if seed.is_none() => return Err(no_tokens().into()),
        _ => {}
    }
    let lock = store.lock(profile, policy.lock_wait)?;
    let mut entry = match (store.load(profile)?, seed) {
        (Some(entry), _) => entry,
        (None, Some(seed)) => seed,
        (None, None) => return Err(no_tokens().into()),
    };
    if !policy.force && entry.is_fresh(policy.need, policy.min_ttl, now_unix()) {
        return Ok((entry, Outcome::RefreshedByAnother));
    }
    let pending = store.begin_save(&lock)?;
    let tokens = refresh(&entry)?;
    entry.update(&tokens);
    pending.commit(&entry)?;
    drop(lock);
    Ok((entry, Outcome::Refreshed(Box::new(tokens))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::tests::token;
    use serde_json::json;
    use std::cell::Cell;

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
            assert_eq!(mode(store.dir()), 0o700);
            assert_eq!(mode(&store.path("ci")), 0o600);
            assert_eq!(mode(&store.lock_path("ci")), 0o600);
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
        let names: Vec<_> = fs::read_dir(store.dir()).unwrap().flatten().collect();
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
        let path = store.path("ci");
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
        fs::set_permissions(store.path("ci"), fs::Permissions::from_mode(0o644)).unwrap();
        let e = store.load("ci").unwrap_err();
        assert!(e.to_string().contains("chmod 600"), "{e}");
        fs::set_permissions(store.path("ci"), fs::Permissions::from_mode(0o600)).unwrap();
        fs::set_permissions(store.dir(), fs::Permissions::from_mode(0o755)).unwrap();
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
        let stale = store.dir().join(".ci.json.AbC123.tmp");
        let other = store.dir().join(".ci-2.json.AbC123.tmp");
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
