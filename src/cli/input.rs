//! Secrets read from files, standard input (once) or a value: trimmed, bounded in size, and
//! named in errors by where they came from, never by their content.

use anyhow::{Context as _, Result};
use cognito_refresh::{Error as CoreError, ExposeSecret, SecretString};
use std::io::{self, Read};
use std::path::Path;

/// Longer than any token Cognito issues (refresh tokens are about 1.8 KiB); a larger input is
/// a mistake, not a token.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// Standard input can be read once: for one secret at most.
#[derive(Default)]
pub struct StdinOnce {
    taken_by: Option<&'static str>,
}

impl StdinOnce {
    /// What standard input was read for, if it was.
    pub fn taken_by(&self) -> Option<&'static str> {
        self.taken_by
    }
}

/// A secret from its file (`-` for stdin) or from its value (flag or environment), trimmed.
pub fn read_secret(
    file: Option<&Path>,
    value: Option<SecretString>,
    what: &'static str,
    stdin: &mut StdinOnce,
) -> Result<Option<SecretString>> {
    let secret = match file {
        Some(path) if path == Path::new("-") => {
            if let Some(other) = stdin.taken_by {
                return Err(CoreError::usage(format!(
                    "the {other} is already read from standard input: give the {what} another way"
                ))
                .into());
            }
            stdin.taken_by = Some(what);
            read_limited(io::stdin().lock(), "standard input")
                .with_context(|| format!("reading the {what}"))?
        }
        Some(path) => {
            let file = std::fs::File::open(path).map_err(|e| {
                CoreError::usage(format!(
                    "cannot read the {what} file {}: {e}",
                    path.display()
                ))
            })?;
            read_limited(file, &path.display().to_string())
                .with_context(|| format!("reading the {what}"))?
        }
        None => match value {
            Some(v) => trim_secret(v),
            None => return Ok(None),
        },
    };
    if secret.expose_secret().is_empty() {
        let from = match file {
            Some(p) if p == Path::new("-") => "standard input".to_string(),
            Some(p) => p.display().to_string(),
            None => "the value given".to_string(),
        };
        return Err(CoreError::usage(format!("the {what} is empty ({from})")).into());
    }
    Ok(Some(secret))
}

/// Reads at most MAX_SECRET_BYTES of UTF-8 text, trimmed. Errors name the source, never the content.
pub fn read_limited(reader: impl Read, source: &str) -> Result<SecretString> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_SECRET_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CoreError::usage(format!("cannot read {source}: {e}")))?;
    if bytes.len() as u64 > MAX_SECRET_BYTES {
        return Err(CoreError::usage(format!(
            "{source} holds more than {} KiB: that is not a token",
            MAX_SECRET_BYTES / 1024
        ))
        .into());
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        CoreError::usage(format!("{source} is not UTF-8 text: that is not a token"))
    })?;
    Ok(trim_secret(SecretString::from(text)))
}

pub fn trim_secret(s: SecretString) -> SecretString {
    let t = s.expose_secret();
    if t.len() == t.trim().len() {
        s
    } else {
        SecretString::from(t.trim())
    }
}

/// An environment variable, unless unset, empty or blank.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
