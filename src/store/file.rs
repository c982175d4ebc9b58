//! The store's directory: reading, locking and atomically replacing one file per profile.

use super::entry::{Entry, corrupt, encode_entry, parse_entry};
use crate::config::{base_dir, check_profile_name};
use crate::files::{self, Replacement};
use crate::text::Setting;
use crate::{Error, ErrorKind};
use std::fs;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Larger than any store file: tokens are a few KiB.
const MAX_STORE_BYTES: u64 = 1024 * 1024;

/// The room reserved, beyond the current entry's size, for what a refresh or a sign-in may
/// add: new tokens with more claims, a device. Tokens are a few KiB.
const RESERVED_ROOM: u64 = 64 * 1024;

/// A token store directory.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
}

/// The exclusive lock on one profile, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct FileLock {
    file: fs::File,
    profile: String,
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Closing the file releases the lock as well; unlocking first says so explicitly.
        let _ = self.file.unlock();
    }
}

impl FileStore {
    pub fn new(dir: impl Into<PathBuf>) -> FileStore {
        FileStore { dir: dir.into() }
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

    pub(super) fn lock_path(&self, profile: &str) -> PathBuf {
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
        if !regular_file_or_none(&path, "token store file")? {
            return Ok(None);
        }
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
        // Room for the whole file: read in one call, not in doubling steps.
        let mut bytes =
            Vec::with_capacity(usize::try_from(meta.len().min(MAX_STORE_BYTES) + 1).unwrap_or(0));
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
    pub fn lock(&self, profile: &str, wait: Duration) -> Result<FileLock, Error> {
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
        regular_file_or_none(&path, "lock file")?;
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
                    return Ok(FileLock {
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
                Err(fs::TryLockError::Error(e)) => return Err(self.cannot_lock(&path, &e)),
            }
        }
    }

    /// A lock the file system refused (NFS without a lock service, some FUSE and network file
    /// systems): no refresh can be safe there, so the way out is another directory.
    fn cannot_lock(&self, path: &Path, e: &io::Error) -> Error {
        Error::setting(
            Setting::StoreDir,
            format!(
                "cannot lock {}: {e}: the file system of the token store {} does not give locks; \
                 put the store on a local file system with {} DIR",
                path.display(),
                self.dir.display(),
                Setting::StoreDir
            ),
        )
    }

    /// Starts replacing a profile's file: the temporary file is created now, which proves the
    /// directory writable before anything worth keeping (a rotated refresh token) exists, and
    /// given room for an entry the size of `like` and 64 KiB more, so that the
    /// write after a refresh cannot fail for a full disk. Temporary files that a process which
    /// died while holding the lock left behind are removed.
    pub fn begin_save(&self, lock: &FileLock, like: Option<&Entry>) -> Result<FilePending, Error> {
        let size = match like {
            Some(entry) => encode_entry(entry, &self.path(&lock.profile))?.len() as u64,
            None => 0,
        };
        self.begin(lock, size + RESERVED_ROOM)
    }

    fn begin(&self, lock: &FileLock, reserve: u64) -> Result<FilePending, Error> {
        let path = self.path(&lock.profile);
        self.remove_stale_temporaries(&lock.profile);
        let mut replacement = Replacement::begin(&path, "token store file")?;
        if reserve > 0 {
            replacement.reserve(reserve, "token store file")?;
        }
        Ok(FilePending { replacement, path })
    }

    /// Writes a profile's tokens, under its lock.
    pub fn save(&self, lock: &FileLock, entry: &Entry) -> Result<(), Error> {
        self.begin(lock, 0)?.commit(entry)
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
    pub fn remove(&self, lock: &FileLock) -> Result<bool, Error> {
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
/// Whether `path` is a regular file (`false`: nothing is there). Anything else is refused
/// before it is opened: opening a FIFO blocks until something writes to it.
fn regular_file_or_none(path: &Path, what: &str) -> Result<bool, Error> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(true),
        Ok(_) => Err(Error::usage(format!(
            "the {what} {} is not a regular file",
            path.display()
        ))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(files::io_error(
            format!("cannot read the {what} {}", path.display()),
            &e,
        )),
    }
}

#[derive(Debug)]
pub struct FilePending {
    replacement: Replacement,
    path: PathBuf,
}

impl FilePending {
    pub fn commit(self, entry: &Entry) -> Result<(), Error> {
        let bytes = encode_entry(entry, &self.path)?;
        self.replacement.commit(&bytes, "token store file")
    }
}
