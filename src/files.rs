//! Private files: directories 0700, files 0600, atomic replacement, and the checks that refuse
//! files others can read. Shared by the token store and the config file.

use crate::Error;
use std::fs;
use std::io::{self, Seek as _, Write as _};
use std::path::{Path, PathBuf};

/// Creates `dir` and its missing parents, each 0700 (readable by the owner alone).
pub(crate) fn create_private_dir(dir: &Path, what: &str) -> Result<(), Error> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| io_error(format!("cannot create the {what} {}", dir.display()), &e))
}

/// How far a file must be kept from other users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trust {
    /// It holds secrets (the token store): this user's alone, and neither readable nor writable
    /// by group or others.
    Private,
    /// It decides where secrets go (the config file: endpoints, the client secret's file):
    /// this user's or root's, and writable by no one else. Others may read it.
    Settings,
}

/// Refuses a file or directory that group or others may read or write, or that another user
/// owns: it holds, or will hold, secrets.
pub(crate) fn check_private(path: &Path, meta: &fs::Metadata, what: &str) -> Result<(), Error> {
    check_trust(path, meta, what, Trust::Private)
}

/// Refuses a file or directory that is not kept from other users as far as `trust` asks.
#[cfg(unix)]
pub(crate) fn check_trust(
    path: &Path,
    meta: &fs::Metadata,
    what: &str,
    trust: Trust,
) -> Result<(), Error> {
    use std::os::unix::fs::MetadataExt as _;
    let mode = meta.mode() & 0o7777;
    let uid = rustix::process::geteuid().as_raw();
    let owner_ok = meta.uid() == uid || (trust == Trust::Settings && meta.uid() == 0);
    if !owner_ok {
        let whom = match trust {
            Trust::Private => format!("not to you (user id {uid})"),
            Trust::Settings => format!("neither to you (user id {uid}) nor to root"),
        };
        return Err(Error::usage(format!(
            "the {what} {} belongs to user id {}, {whom}: refusing to use it",
            path.display(),
            meta.uid()
        )));
    }
    match trust {
        Trust::Private if mode & 0o077 != 0 => {
            let fix = if meta.is_dir() { "700" } else { "600" };
            Err(Error::usage(format!(
                "the {what} {} is accessible to group or others (mode {mode:04o}): it holds \
                 secrets; run `chmod {fix} {}`",
                path.display(),
                path.display()
            )))
        }
        Trust::Settings if mode & 0o022 != 0 => Err(Error::usage(format!(
            "the {what} {} is writable by group or others (mode {mode:04o}): whoever can \
             change it can send your tokens elsewhere; run `chmod go-w {}`",
            path.display(),
            path.display()
        ))),
        _ => Ok(()),
    }
}

#[cfg(not(unix))]
pub(crate) fn check_trust(_: &Path, _: &fs::Metadata, _: &str, _: Trust) -> Result<(), Error> {
    Ok(())
}

/// Whether group or others may read the file (never on non-Unix systems, which lack the bits).
pub(crate) fn readable_by_others(meta: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        meta.mode() & 0o044 != 0
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

/// Refuses a directory whose owner-write bit is off: the user made it read-only, and that holds
/// even for root, who the kernel would let through.
pub(crate) fn check_writable_dir(dir: &Path, meta: &fs::Metadata, what: &str) -> Result<(), Error> {
    if meta.permissions().readonly() {
        return Err(Error::usage(format!(
            "the {what} {} is read-only: nothing can be saved there; make it writable (chmod 700) \
             or choose another ({})",
            dir.display(),
            crate::text::Setting::StoreDir
        )));
    }
    Ok(())
}

/// A file being replaced atomically: a temporary file (0600) in the destination's directory,
/// written, flushed to disk, then renamed over the destination, and the directory flushed.
/// Readers see the old content or the new, never a mix; a crash leaves at most a stray
/// temporary file beside the old one.
#[derive(Debug)]
pub(crate) struct Replacement {
    temp: tempfile::NamedTempFile,
    dest: PathBuf,
}

impl Replacement {
    /// Creates the temporary file now: proof that the directory is writable, before anything
    /// worth saving exists.
    pub(crate) fn begin(dest: &Path, what: &str) -> Result<Replacement, Error> {
        let dir = parent(dest);
        let name = dest
            .file_name()
            .map_or_else(|| "file".to_string(), |n| n.to_string_lossy().into_owned());
        let prefix = temp_prefix(&name);
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
        let temp = builder
            .tempfile_in(dir)
            .map_err(|e| io_error(format!("cannot write the {what} in {}", dir.display()), &e))?;
        Ok(Replacement {
            temp,
            dest: dest.to_path_buf(),
        })
    }

    /// Allocates `len` bytes of disk to the temporary file now, so that writing up to that
    /// much later cannot fail for lack of space: what is written then (a refresh token the
    /// server has just rotated) exists nowhere else. Fails, changing nothing worth keeping,
    /// when the disk has not that much room.
    pub(crate) fn reserve(&mut self, len: u64, what: &str) -> Result<(), Error> {
        let fail = |e: &io::Error| {
            io_error(
                format!("cannot reserve room for the {what} {}", self.dest.display()),
                e,
            )
        };
        allocate(self.temp.as_file_mut(), len).map_err(|e| fail(&e))
    }

    /// Writes `bytes` (over the room reserved, if any) and puts them in place.
    pub(crate) fn commit(mut self, bytes: &[u8], what: &str) -> Result<(), Error> {
        let dest = self.dest;
        let fail =
            |e: &io::Error| io_error(format!("cannot write the {what} {}", dest.display()), e);
        let file = self.temp.as_file_mut();
        file.seek(io::SeekFrom::Start(0)).map_err(|e| fail(&e))?;
        file.write_all(bytes).map_err(|e| fail(&e))?;
        // Shortening a file never needs room.
        file.set_len(bytes.len() as u64).map_err(|e| fail(&e))?;
        self.temp.as_file().sync_all().map_err(|e| fail(&e))?;
        failpoint("before-rename");
        self.temp.persist(&dest).map_err(|e| fail(&e.error))?;
        sync_dir(parent(&dest)).map_err(|e| fail(&e))?;
        Ok(())
    }
}

/// Gives `file` (empty) `len` bytes of allocated disk blocks: `fallocate` where the file
/// system has it, else zeros written and flushed. A sparse file (`set_len`) would not do: its
/// blocks are allocated only when written, which is when the disk may be full.
fn allocate(file: &mut fs::File, len: u64) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    match rustix::fs::fallocate(&*file, rustix::fs::FallocateFlags::empty(), 0, len) {
        Ok(()) => return Ok(()),
        Err(e) if e == rustix::io::Errno::NOSPC || e == rustix::io::Errno::FBIG => {
            return Err(e.into());
        }
        // Not supported here (or for this file): write the blocks instead.
        Err(_) => {}
    }
    let zeros = [0u8; 8192];
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left.min(zeros.len() as u64)).unwrap_or(zeros.len());
        file.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    file.sync_all()
}

/// Temporary files of `name` start with this: `.<name>.` (hidden, and easy to recognise).
pub(crate) fn temp_prefix(name: &str) -> String {
    format!(".{name}.")
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Flushes a directory's entries (the rename) to disk. Not possible on every system.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// An error from the file system, as a usage error (exit 2) naming what was attempted.
pub(crate) fn io_error(attempt: String, e: &io::Error) -> Error {
    let why = match e.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only".to_string(),
        _ => e.to_string(),
    };
    Error::usage(format!("{attempt}: {why}"))
}

/// Test hook: when the environment variable `COGNITO_REFRESH_TEST_FAILPOINT` names this point,
/// the process aborts here, as a crash or a `kill -9` would. Only with the `failpoints` feature,
/// which only the test suite turns on: default and release builds do not read the variable.
/// The integration tests use it to show that a process dying between writing and renaming
/// leaves the previous file whole.
fn failpoint(name: &str) {
    #[cfg(feature = "failpoints")]
    if std::env::var_os("COGNITO_REFRESH_TEST_FAILPOINT").is_some_and(|v| v == name) {
        std::process::abort();
    }
    #[cfg(not(feature = "failpoints"))]
    let _ = name;
}

/// Test hook: when `COGNITO_REFRESH_TEST_FAILPOINT` names this point, the process sleeps a
/// second here, so that a test can kill it at a known point (a process that holds a profile's
/// lock or lease and has not sent its refresh). Only with the `failpoints` feature.
pub(crate) fn pause_point(name: &str) {
    #[cfg(feature = "failpoints")]
    if std::env::var_os("COGNITO_REFRESH_TEST_FAILPOINT").is_some_and(|v| v == name) {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    #[cfg(not(feature = "failpoints"))]
    let _ = name;
}
