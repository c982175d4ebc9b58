//! Changing the config file: a profile added, or keys of one set, under the config file's lock,
//! the rest of the file (comments, order, layout) kept as the user wrote it.

use super::{ConfigFile, Profile, check_dir, check_profile_name, parse, read_text};
use crate::Error;
use crate::files::{self, Replacement};
use std::fs;
use std::path::{Path, PathBuf};

/// Adds `[profiles.NAME]` to the config file (creating it, 0600 in a 0700 directory, when
/// absent), keeping everything else in the file as it was. Returns `false`, changing nothing,
/// when the file already has the profile (another process may have added it meanwhile).
/// A literal client secret is never written.
pub fn add_profile(path: &Path, name: &str, profile: &Profile) -> Result<bool, Error> {
    check_profile_name(name)?;
    edit(path, &mut |current, profiles| {
        if current.profiles.contains_key(name) {
            return Ok(false);
        }
        profiles.insert(name, toml_edit::Item::Table(profile_table(profile)));
        Ok(true)
    })
}

/// Sets string keys of an existing profile (`api = "oauth2"`, `domain = ...`), keeping the
/// rest of the file as it was. Returns `false`, changing nothing, when the profile already
/// has these values, or is not in the file.
pub fn set_profile_keys(path: &Path, name: &str, keys: &[(&str, &str)]) -> Result<bool, Error> {
    check_profile_name(name)?;
    edit(path, &mut |_, profiles| {
        let Some(table) = profiles.get_mut(name).and_then(|t| t.as_table_like_mut()) else {
            return Ok(false);
        };
        let mut changed = false;
        for (key, value) in keys {
            if table.get(key).and_then(|v| v.as_str()) != Some(*value) {
                table.insert(key, toml_edit::value(*value));
                changed = true;
            }
        }
        Ok(changed)
    })
}

/// Changes the config file's `profiles` table with `change`, under the config lock, and
/// replaces the file when `change` says it changed something.
fn edit(
    path: &Path,
    change: &mut dyn FnMut(&ConfigFile, &mut toml_edit::Table) -> Result<bool, Error>,
) -> Result<bool, Error> {
    // Write through a symbolic link (a dotfiles manager's, say) to the file it names.
    let path = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    files::create_private_dir(&dir, "config directory")?;
    check_dir(&dir)?;
    // One writer at a time: concurrent first uses of two new profiles must not lose one.
    let lock_name = format!(
        ".{}.lock",
        path.file_name()
            .map_or_else(|| "config".into(), |n| n.to_string_lossy())
    );
    let lock = open_lock(&dir.join(lock_name))?;
    lock.lock()
        .map_err(|e| files::io_error(format!("cannot lock {}", path.display()), &e))?;

    let text = read_text(&path)?.map(|(t, _)| t).unwrap_or_default();
    // The file must be valid before it is changed: never rewrite what could not be read.
    let current = parse(&text, &path)?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|_| Error::usage(format!("config file {}: cannot be edited", path.display())))?;
    let profiles = doc
        .entry("profiles")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| {
            Error::usage(format!(
                "config file {}: `profiles` is not a table",
                path.display()
            ))
        })?;
    if !change(&current, profiles)? {
        return Ok(false);
    }
    let replacement = Replacement::begin(&path, "config file")?;
    replacement.commit(doc.to_string().as_bytes(), "config file")?;
    Ok(true)
}

fn profile_table(p: &Profile) -> toml_edit::Table {
    let mut t = toml_edit::Table::new();
    let strings = [
        ("client_id", &p.client_id),
        ("region", &p.region),
        ("user_pool_id", &p.user_pool_id),
        ("endpoint_url", &p.endpoint_url),
        ("username", &p.username),
        ("device_key", &p.device_key),
        ("domain", &p.domain),
        ("client_secret_env", &p.client_secret_env),
        ("aws_profile", &p.aws_profile),
        ("identity_pool_id", &p.identity_pool_id),
        ("role_arn", &p.role_arn),
        ("store", &p.store),
        ("store_region", &p.store_region),
        ("store_endpoint_url", &p.store_endpoint_url),
    ];
    for (key, value) in strings {
        if let Some(v) = value {
            t.insert(key, toml_edit::value(v.as_str()));
        }
    }
    if let Some(api) = p.api {
        t.insert("api", toml_edit::value(api.name()));
    }
    if let Some(remember) = p.remember_device {
        t.insert("remember_device", toml_edit::value(remember));
    }
    if let Some(file) = &p.client_secret_file {
        t.insert(
            "client_secret_file",
            toml_edit::value(file.to_string_lossy().as_ref()),
        );
    }
    if let Some(grant) = p.grant {
        t.insert("grant", toml_edit::value(grant.name()));
    }
    if let Some(scopes) = &p.scopes {
        t.insert(
            "scopes",
            toml_edit::value(scopes.iter().collect::<toml_edit::Array>()),
        );
    }
    t
}

fn open_lock(path: &Path) -> Result<fs::File, Error> {
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map_err(|e| files::io_error(format!("cannot open the lock file {}", path.display()), &e))
}
