//! Private files: directories 0700, files 0600, atomic replacement, and the checks that refuse
//! files others can read. Shared by the token store and the config file.

use crate::Error;
use std::fs;
use std::io::{self, Write as _};
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

/// Refuses a file or directory that group or others may read or write, or that another user
/// owns: it holds, or will hold, secrets.
#[cfg(unix)]
pub(crate) fn check_private(path: &Path, meta: &fs::Metadata, what: &str) -> Result<(), Error> {
    use std::os::unix::fs::MetadataExt as _;
    let mode = meta.mode() & 0o7777;
    let uid = rustix::process::geteuid().as_raw();
    if meta.uid() != uid {
        return Err(Error::usage(format!(
            "the {what} {} belongs to user id {}, not to you (user id {uid}): refusing to use it",
            path.display(),
            meta.uid()
        )));
    }
    if mode & 0o077 != 0 {
        let fix = if meta.is_dir() { "700" } else { "600" };
        return Err(Error::usage(format!(
            "the {what} {} is accessible to group or others (mode {mode:04o}): it holds secrets; \
             run `chmod {fix} {}`",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
pub(crate) fn check_private(_: &Path, _: &fs::Metadata, _: &str) -> Result<(), Error> {
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

    /// Writes `bytes` and puts them in place.
    pub(crate) fn commit(mut self, bytes: &[u8], what: &str) -> Result<(), Error> {
        let dest = self.dest;
        let fail =
            |e: &io::Error| io_error(format!("cannot write the {what} {}", dest.display()), e);
        self.temp.write_all(bytes).map_err(|e| fail(&e))?;
        self.temp.as_file().sync_all().map_err(|e| fail(&e))?;
        failpoint("before-rename");
        self.temp.persist(&dest).map_err(|e| fail(&e.error))?;
        sync_dir(parent(&dest)).map_err(|e| fail(&e))?;
        Ok(())
    }
}

/// Temporary files of `name` start with this: `.<name>.` (hidden, and easy to recognise).
pub(crate) fn temp_prefix(name: &str) -> String {
    format!(".{name}.")
}

fn parent(path: &Path) -> &Path {
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
/// which only the test suite turns on: default and release builds do not read the variable. The integration tests use it to show that a process dying
/// between writing and renaming leaves the previous file whole.
fn failpoint(name: &str) {
    #[cfg(feature = "failpoints")]
    if std::env::var_os("COGNITO_REFRESH_TEST_FAILPOINT").is_some_and(|v| v == name) {
        std::process::abort();
    }
    #[cfg(not(feature = "failpoints"))]
    let _ = name;
}
