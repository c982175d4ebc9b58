//! The token store every command uses: a directory of files on this machine (the default), or
//! a DynamoDB table that several machines share. Both give the same operations, with the same
//! guarantees: one refresh at a time per profile, and a session written whole or not at all.

use super::dynamodb::{DynamoDbSettings, DynamoStore, Lease};
use super::entry::Entry;
use super::file::{FileLock, FilePending, FileStore};
use crate::Error;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A token store.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Debug, Clone)]
enum Backend {
    File(FileStore),
    DynamoDb(DynamoStore),
}

/// The exclusive right to refresh and write one profile's session: the file store's lock, or
/// the DynamoDB item's lease. Released when dropped (or when the process ends: a lock at once, a
/// lease when it runs out).
#[derive(Debug)]
pub struct ProfileLock {
    profile: String,
    held: Held,
}

#[derive(Debug)]
enum Held {
    File(FileLock),
    Lease(Arc<Lease>),
}

impl ProfileLock {
    pub fn profile(&self) -> &str {
        &self.profile
    }
}

/// A profile's new session, begun under its lock and not yet written.
#[derive(Debug)]
pub struct PendingSave {
    pending: Pending,
}

#[derive(Debug)]
enum Pending {
    File(FilePending),
    Lease(DynamoStore, Arc<Lease>),
}

impl PendingSave {
    /// Writes `entry`: replaces the file, or writes the item if it still holds the session read
    /// under the lease.
    pub fn commit(self, entry: &Entry) -> Result<(), Error> {
        match self.pending {
            Pending::File(pending) => pending.commit(entry),
            Pending::Lease(store, lease) => store.save(&lease, entry),
        }
    }
}

impl Store {
    /// The file store in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store {
            backend: Backend::File(FileStore::new(dir)),
        }
    }

    /// The store in a DynamoDB table.
    pub fn dynamodb(settings: DynamoDbSettings) -> Store {
        Store {
            backend: Backend::DynamoDb(DynamoStore::new(settings)),
        }
    }

    /// The file store's default directory: `$XDG_STATE_HOME/cognito-refresh`, else
    /// `~/.local/state/cognito-refresh`.
    pub fn default_dir() -> Option<PathBuf> {
        FileStore::default_dir()
    }

    /// The file store's directory; `None` for a table.
    pub fn dir(&self) -> Option<&Path> {
        match &self.backend {
            Backend::File(files) => Some(files.dir()),
            Backend::DynamoDb(_) => None,
        }
    }

    /// The table's settings; `None` for the file store.
    pub fn dynamodb_settings(&self) -> Option<&DynamoDbSettings> {
        match &self.backend {
            Backend::File(_) => None,
            Backend::DynamoDb(table) => Some(table.settings()),
        }
    }

    /// Bounds each call a shared store makes, retries included (and so the length of its
    /// leases); the file store makes none.
    pub fn set_timeout(&self, timeout: Duration) {
        if let Backend::DynamoDb(table) = &self.backend {
            table.set_timeout(timeout);
        }
    }

    /// Where a profile's session is kept, for messages: a file's path, or
    /// `dynamodb://TABLE/PROFILE`.
    pub fn location(&self, profile: &str) -> String {
        match &self.backend {
            Backend::File(files) => files.path(profile).display().to_string(),
            Backend::DynamoDb(table) => table.location(profile),
        }
    }

    /// A profile's session; `None` when none is stored. Takes no lock: what is read is whole.
    pub fn load(&self, profile: &str) -> Result<Option<Entry>, Error> {
        match &self.backend {
            Backend::File(files) => files.load(profile),
            Backend::DynamoDb(table) => table.load(profile),
        }
    }

    /// Waits for the exclusive right to refresh and write a profile's session, at most `wait`.
    pub fn lock(&self, profile: &str, wait: Duration) -> Result<ProfileLock, Error> {
        // Without `until_changed`, the wait ends with the lock or an error.
        self.take(profile, wait, false)?.ok_or_else(|| {
            Error::new(
                crate::ErrorKind::Other,
                "the token store gave up a wait it was told to finish",
            )
        })
    }

    /// Like [`Store::lock`], but a shared store stops waiting, with `None`, as soon as another
    /// process has written the session: read it again before queueing for the lease (a fleet
    /// waiting for one machine's refresh then reads it at once). The file store always locks.
    pub fn lock_or_changed(
        &self,
        profile: &str,
        wait: Duration,
    ) -> Result<Option<ProfileLock>, Error> {
        self.take(profile, wait, true)
    }

    fn take(
        &self,
        profile: &str,
        wait: Duration,
        until_changed: bool,
    ) -> Result<Option<ProfileLock>, Error> {
        let held = match &self.backend {
            Backend::File(files) => Held::File(files.lock(profile, wait)?),
            Backend::DynamoDb(table) => match table.lock(profile, wait, until_changed)? {
                Some(lease) => Held::Lease(Arc::new(lease)),
                None => return Ok(None),
            },
        };
        Ok(Some(ProfileLock {
            profile: profile.to_string(),
            held,
        }))
    }

    /// Starts writing a profile's session before anything worth keeping (a rotated refresh
    /// token) exists: the file store proves its directory writable and reserves room for an
    /// entry the size of `like`, and more.
    pub fn begin_save(
        &self,
        lock: &ProfileLock,
        like: Option<&Entry>,
    ) -> Result<PendingSave, Error> {
        let pending = match (&self.backend, &lock.held) {
            (Backend::File(files), Held::File(held)) => {
                Pending::File(files.begin_save(held, like)?)
            }
            (Backend::DynamoDb(table), Held::Lease(lease)) => {
                Pending::Lease(table.clone(), lease.clone())
            }
            _ => return Err(other_stores_lock()),
        };
        Ok(PendingSave { pending })
    }

    /// Writes a profile's session, under its lock.
    pub fn save(&self, lock: &ProfileLock, entry: &Entry) -> Result<(), Error> {
        match (&self.backend, &lock.held) {
            (Backend::File(files), Held::File(held)) => files.save(held, entry),
            (Backend::DynamoDb(table), Held::Lease(lease)) => table.save(lease, entry),
            _ => Err(other_stores_lock()),
        }
    }

    /// Removes a profile's session, under its lock. Returns whether there was one.
    pub fn remove(&self, lock: &ProfileLock) -> Result<bool, Error> {
        match (&self.backend, &lock.held) {
            (Backend::File(files), Held::File(held)) => files.remove(held),
            (Backend::DynamoDb(table), Held::Lease(lease)) => table.remove(lease),
            _ => Err(other_stores_lock()),
        }
    }

    /// The profiles that have a session in the file store. A table is not listed: that takes
    /// a scan, which a policy that gives each machine its own profiles does not allow.
    pub fn profiles(&self) -> Result<Vec<String>, Error> {
        match &self.backend {
            Backend::File(files) => files.profiles(),
            Backend::DynamoDb(_) => Ok(Vec::new()),
        }
    }

    #[cfg(test)]
    pub(super) fn files(&self) -> &FileStore {
        match &self.backend {
            Backend::File(files) => files,
            Backend::DynamoDb(_) => panic!("not a file store"),
        }
    }
}

impl fmt::Display for Store {
    /// The store's directory, or `dynamodb://TABLE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.backend {
            Backend::File(files) => write!(f, "{}", files.dir().display()),
            Backend::DynamoDb(table) => table.fmt(f),
        }
    }
}

/// A lock taken on one store, used on another: a bug, said as one.
fn other_stores_lock() -> Error {
    Error::new(
        crate::ErrorKind::Other,
        "a lock of one token store was used with another",
    )
}
