//! Values the shell completion scripts offer that clap cannot know: the profile names of the
//! config file. Runs in the process the completion script starts (`completions`), with the
//! words typed so far as its arguments.

use clap_complete::CompletionCandidate;
use cognito_refresh::config::{self, Config};
use std::ffi::OsString;
use std::path::PathBuf;

/// The profiles of the config file that --config names among the words typed so far, else
/// that COGNITO_REFRESH_CONFIG names, else the default one. None when it cannot be read: a
/// completion never prints an error.
pub fn profile_names() -> Vec<CompletionCandidate> {
    let Some(path) = config_in(std::env::args_os())
        .or_else(|| {
            std::env::var_os("COGNITO_REFRESH_CONFIG")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(config::default_path)
    else {
        return Vec::new();
    };
    Config::load(&path)
        .map(|config| {
            config
                .profiles
                .into_iter()
                .map(|(name, profile)| {
                    let help = profile
                        .client_id
                        .map(|id| format!("app client {id}").into());
                    CompletionCandidate::new(name).help(help)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The value of the last `--config PATH` or `--config=PATH` among `words`.
fn config_in(mut words: impl Iterator<Item = OsString>) -> Option<PathBuf> {
    let mut found = None;
    while let Some(word) = words.next() {
        if word == "--config" {
            found = words.next().map(PathBuf::from);
        } else if let Some(value) = word.to_str().and_then(|w| w.strip_prefix("--config=")) {
            found = Some(PathBuf::from(value));
        }
    }
    found.filter(|p| !p.as_os_str().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> impl Iterator<Item = OsString> {
        text.split(' ')
            .map(OsString::from)
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn finds_the_config_flag() {
        assert_eq!(config_in(words("bin -- bin token -p")), None);
        assert_eq!(
            config_in(words("bin -- bin --config /a.toml token -p")),
            Some(PathBuf::from("/a.toml"))
        );
        assert_eq!(
            config_in(words("bin -- bin token --config=/b.toml -p")),
            Some(PathBuf::from("/b.toml"))
        );
        assert_eq!(config_in(words("bin -- bin token --config")), None);
    }
}
