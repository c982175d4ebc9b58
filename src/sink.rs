//! A file that holds a token for other processes (`watch --sink`, `exec --watch`): readable by
//! its owner only, and replaced atomically, so a reader sees the old token or the new one,
//! never a mix or an empty file.

use crate::Error;
use crate::files::{Replacement, io_error};
use std::io;
use std::path::Path;

/// Puts `bytes` in the file at `path` (0600), replacing what it held in one step.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    Replacement::begin(path, "token file")?.commit(bytes, "token file")
}

/// Removes the file at `path`, so that no process reads a token that has expired; a file that
/// is already gone is not an error.
pub fn remove(path: &Path) -> Result<(), Error> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_error(
            format!("cannot remove the token file {}", path.display()),
            &e,
        )),
        _ => Ok(()),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn the_file_is_replaced_whole_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&path, b"new-token").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new-token");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a replaced file is the owner's only");
        // Nothing is left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        remove(&path).unwrap();
        assert!(!path.exists());
        remove(&path).unwrap();
    }
}
