//! Profiles: named sets of settings in a TOML file, one `[profiles.NAME]` table each.
//!
//! ```toml
//! [profiles.ci]
//! client_id = "4f1example"
//! region = "eu-west-1"
//! client_secret_env = "CI_COGNITO_SECRET"   # or client_secret_file = "/run/secrets/cognito"
//! ```
//!
//! Keys are named like the command-line flags. The client secret is given by reference: the name
//! of an environment variable or a file. A literal `client_secret` is accepted only in a file
//! that group and others cannot read. Unknown keys are errors that name their line.

use crate::Error;
use crate::api::RefreshApi;
use crate::files::{self, Trust};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

pub mod edit;

/// The settings of one profile. Every value is optional: flags fill in or override them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Profile {
    pub client_id: Option<String>,
    pub region: Option<String>,
    pub user_pool_id: Option<String>,
    pub endpoint_url: Option<String>,
    pub api: Option<RefreshApi>,
    pub username: Option<String>,
    pub device_key: Option<String>,
    /// The user pool's domain (managed login / hosted UI), for `api = "oauth2"`: refreshes go
    /// to its token endpoint.
    pub domain: Option<String>,
    /// `login` remembers the device (ConfirmDevice) without --remember-device.
    pub remember_device: Option<bool>,
    /// The AWS profile whose credentials sign the admin API (`api = "admin-initiate-auth"`,
    /// `login --flow admin-password`); else the standard chain's default.
    pub aws_profile: Option<String>,
    /// The name of an environment variable holding the client secret.
    pub client_secret_env: Option<String>,
    /// A file holding the client secret; relative paths are relative to the config file.
    pub client_secret_file: Option<PathBuf>,
    /// The client secret itself: only in a config file that group and others cannot read.
    pub client_secret: Option<SecretString>,
    /// The identity pool that gives the profile's user AWS credentials (`aws-credentials`).
    pub identity_pool_id: Option<String>,
    /// The IAM role to ask the identity pool for, for a pool with role rules.
    pub role_arn: Option<String>,
    /// How the profile's tokens are obtained: a user's refresh token (the default), or the
    /// app client's own credentials (machine to machine).
    pub grant: Option<Grant>,
    /// The scopes a `client_credentials` profile asks for (`resource-server/scope`).
    pub scopes: Option<Vec<String>>,
    /// Where the profile's session is kept: `dynamodb://TABLE` (a table that machines share),
    /// or a directory; else the default directory.
    pub store: Option<String>,
    /// The region of the `dynamodb://` store's table; else the profile's region.
    pub store_region: Option<String>,
    /// An endpoint for the `dynamodb://` store (DynamoDB Local, an emulator).
    pub store_endpoint_url: Option<String>,
}

/// How a profile's tokens are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Grant {
    /// A user's session: tokens refreshed with its refresh token.
    RefreshToken,
    /// The app client's own access token, with its id and secret: no user, no refresh token.
    ClientCredentials,
}

impl Grant {
    /// The name in the config file.
    pub fn name(self) -> &'static str {
        match self {
            Grant::RefreshToken => "refresh_token",
            Grant::ClientCredentials => "client_credentials",
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// A loaded config file. A file that does not exist is an empty config.
#[derive(Debug)]
#[non_exhaustive]
pub struct Config {
    pub path: PathBuf,
    pub profiles: BTreeMap<String, Profile>,
    /// Whether the file exists.
    pub exists: bool,
    /// Whether group or others can read the file.
    readable_by_others: bool,
}

/// Larger than any config file a person writes.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// `$XDG_CONFIG_HOME/cognito-refresh/config.toml`, else `~/.config/cognito-refresh/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    base_dir("XDG_CONFIG_HOME", ".config").map(|d| d.join("cognito-refresh").join("config.toml"))
}

/// An XDG base directory: the variable when it holds an absolute path, else `$HOME/<fallback>`.
pub(crate) fn base_dir(var: &str, fallback: &str) -> Option<PathBuf> {
    let absolute = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    absolute(var).or_else(|| absolute("HOME").map(|home| home.join(fallback)))
}

/// Profile names become file names in the token store: letters, digits, `-` and `_`, at most
/// 64, starting with a letter or digit.
pub fn check_profile_name(name: &str) -> Result<(), Error> {
    let ok = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "invalid profile name {name:?}: use letters, digits, - and _ (at most 64, starting \
             with a letter or digit)"
        )))
    }
}

impl Config {
    /// Reads and checks the config file at `path`; a missing file gives an empty config.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let (text, readable_by_others) = match read_text(path)? {
            Some(found) => found,
            None => {
                return Ok(Config {
                    path: path.to_path_buf(),
                    profiles: BTreeMap::new(),
                    exists: false,
                    readable_by_others: false,
                });
            }
        };
        let file: ConfigFile = parse(&text, path)?;
        Ok(Config {
            path: path.to_path_buf(),
            profiles: file.profiles,
            exists: true,
            readable_by_others,
        })
    }

    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// The client secret a profile refers to: from its environment variable, its file, or the
    /// config file itself. `None` when the profile names none.
    pub fn client_secret(&self, name: &str) -> Result<Option<SecretString>, Error> {
        let Some(p) = self.profile(name) else {
            return Ok(None);
        };
        let given = [
            p.client_secret_env.is_some(),
            p.client_secret_file.is_some(),
            p.client_secret.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(self.error(
                name,
                "give one of client_secret_env, client_secret_file and client_secret, not several",
            ));
        }
        let secret = if let Some(var) = &p.client_secret_env {
            match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => SecretString::from(v.trim()),
                Ok(_) | Err(std::env::VarError::NotPresent) => {
                    return Err(self.error(
                        name,
                        &format!("client_secret_env names {var}, which is not set"),
                    ));
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(self.error(
                        name,
                        &format!("client_secret_env names {var}, which is not UTF-8"),
                    ));
                }
            }
        } else if let Some(file) = &p.client_secret_file {
            let path = self.resolve(file);
            read_secret_file(&path).map_err(|e| {
                self.error(
                    name,
                    &format!("cannot read client_secret_file {}: {e}", path.display()),
                )
            })?
        } else if let Some(secret) = &p.client_secret {
            if self.readable_by_others {
                return Err(self.error(
                    name,
                    &format!(
                        "it holds a client_secret, and the file is readable by group or others: \
                         run `chmod 600 {}`, or use client_secret_env or client_secret_file",
                        self.path.display()
                    ),
                ));
            }
            SecretString::from(secret.expose_secret().trim())
        } else {
            return Ok(None);
        };
        if secret.expose_secret().is_empty() {
            return Err(self.error(name, "the client secret it names is empty"));
        }
        Ok(Some(secret))
    }

    /// A path from the file: `~/` is the home directory, relative is relative to the file.
    fn resolve(&self, path: &Path) -> PathBuf {
        if let Ok(rest) = path.strip_prefix("~")
            && let Some(home) = std::env::var_os("HOME")
        {
            return PathBuf::from(home).join(rest);
        }
        match self.path.parent() {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        }
    }

    fn error(&self, profile: &str, message: &str) -> Error {
        Error::usage(format!(
            "config file {}, profile {profile}: {message}",
            self.path.display()
        ))
    }
}

/// The file's text and whether group or others can read it; `None` when it does not exist.
fn read_text(path: &Path) -> Result<Option<(String, bool)>, Error> {
    let cannot = |e: &io::Error| {
        files::io_error(format!("cannot read the config file {}", path.display()), e)
    };
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(cannot(&e)),
    };
    let meta = file.metadata().map_err(|e| cannot(&e))?;
    if meta.is_dir() {
        return Err(Error::usage(format!(
            "the config file {} is a directory",
            path.display()
        )));
    }
    check_trusted(path, &meta)?;
    // Room for the whole file: read in one call, not in doubling steps.
    let mut bytes =
        Vec::with_capacity(usize::try_from(meta.len().min(MAX_CONFIG_BYTES) + 1).unwrap_or(0));
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(&e))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(Error::usage(format!(
            "the config file {} is larger than 1 MiB: that is not a config file",
            path.display()
        )));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::usage(format!(
            "the config file {} is not UTF-8 text",
            path.display()
        ))
    })?;
    Ok(Some((text, files::readable_by_others(&meta))))
}

/// Refuses a config file that someone else could have written: it says where the refresh
/// token is sent and which file is read as the client secret. The file, the directory holding
/// it, and (through a symbolic link) the directory of the file it names must belong to this
/// user or to root, and be writable by no one else.
fn check_trusted(path: &Path, meta: &fs::Metadata) -> Result<(), Error> {
    files::check_trust(path, meta, "config file", Trust::Settings)?;
    check_dir(files::parent(path))?;
    if let Ok(real) = fs::canonicalize(path)
        && real != path
    {
        check_dir(files::parent(&real))?;
    }
    Ok(())
}

/// Refuses a directory of the config file that someone else could write to (and so replace
/// the file).
fn check_dir(dir: &Path) -> Result<(), Error> {
    let meta = fs::metadata(dir).map_err(|e| {
        files::io_error(
            format!("cannot read the config directory {}", dir.display()),
            &e,
        )
    })?;
    files::check_trust(dir, &meta, "config directory", Trust::Settings)
}

/// The profiles of a config file's text, checked as [`Config::load`] checks them; `path` only
/// names the file in errors. Errors are one line, name the line and column, and never quote a
/// value.
pub fn parse_profiles(text: &str, path: &Path) -> Result<BTreeMap<String, Profile>, Error> {
    parse(text, path).map(|file| file.profiles)
}

fn parse(text: &str, path: &Path) -> Result<ConfigFile, Error> {
    toml_edit::de::from_str(text).map_err(|e| {
        let place = e
            .span()
            .map(|s| {
                let (line, column) = line_column(text, s.start);
                format!(", line {line}, column {column}")
            })
            .unwrap_or_default();
        Error::usage(format!(
            "config file {}{place}: {}",
            path.display(),
            one_line(&redact_quoted(e.message()))
        ))
    })
}

/// Parser messages may span lines (`invalid table header` / `expected ...`): one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(": ")
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..text.floor_char_boundary(offset.min(text.len()))];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Parser messages may quote a value (`invalid type: string "...", expected ...`, ``unknown
/// variant `...` ``), which could be a secret put in the wrong place: keep the message, drop
/// what is quoted, except the names of keys (``unknown field `name` ``) and the parser's own
/// words after "expected".
fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find(['"', '`']) {
        let (before, quoted) = rest.split_at(open);
        out.push_str(before);
        let mark = &quoted[..1];
        let Some(close) = quoted[1..].find(mark) else {
            // Unterminated: whatever follows may be the value.
            out.push_str(mark);
            out.push('…');
            return out;
        };
        let inner = &quoted[1..=close];
        let key = ["field ", "key ", "table "]
            .iter()
            .any(|w| out.ends_with(w))
            && (1..=64).contains(&inner.len())
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
        let keep = mark == "`" && (key || out.contains("expected"));
        out.push_str(mark);
        out.push_str(if keep { inner } else { "…" });
        out.push_str(mark);
        rest = &quoted[close + 2..];
    }
    out.push_str(rest);
    out
}

fn read_secret_file(path: &Path) -> io::Result<SecretString> {
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(64 * 1024 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > 64 * 1024 {
        return Err(io::Error::other("larger than 64 KiB: that is not a secret"));
    }
    let text = String::from_utf8(bytes).map_err(|_| io::Error::other("not UTF-8 text"))?;
    Ok(SecretString::from(text.trim()))
}

#[cfg(test)]
mod tests {
    use super::edit::{add_profile, set_profile_keys};
    use super::*;
    use crate::ErrorKind;

    fn load_text(text: &str) -> Result<Config, Error> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(&path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        }
        Config::load(&path)
    }

    #[test]
    fn reads_profiles() {
        let c = load_text(
            "# mine\n[profiles.ci]\nclient_id = \"c1\"\nregion = \"eu-west-1\"\napi = \"get-tokens\"\n\
             [profiles.dev]\nclient_id = \"c2\"\n",
        )
        .unwrap();
        let ci = c.profile("ci").unwrap();
        assert_eq!(ci.client_id.as_deref(), Some("c1"));
        assert_eq!(ci.region.as_deref(), Some("eu-west-1"));
        assert_eq!(ci.api, Some(RefreshApi::GetTokens));
        assert_eq!(c.profile("dev").unwrap().client_id.as_deref(), Some("c2"));
        assert!(c.profile("prod").is_none());
    }

    #[test]
    fn unknown_keys_and_type_errors_name_the_line() {
        let e =
            load_text("[profiles.ci]\nclient_id = \"c1\"\nregoin = \"eu-west-1\"\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        let m = e.to_string();
        assert!(m.contains("line 3"), "{m}");
        assert!(m.contains("regoin"), "{m}");

        let e = load_text("[profiles.ci]\n\nclient_id = 42\n").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        let e = load_text("[profiles.ci]\napi = \"oauth\"\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = load_text("[profiles.ci\n").unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
        let e = load_text("region = \"eu-west-1\"\n").unwrap_err();
        assert!(e.to_string().contains("region"), "{e}");
    }

    #[test]
    fn errors_never_quote_values() {
        // A secret put where a table belongs: the type error must not repeat it.
        let e = load_text("[profiles]\nci = \"very-secret-value\"\n").unwrap_err();
        assert!(!e.to_string().contains("very-secret-value"), "{e}");
        assert!(e.to_string().contains("line 2"), "{e}");
        // Backticked values too (an enum's variant, a number), and unterminated quotes; the
        // names of keys and the parser's expectations stay.
        for (text, key) in [
            (
                "[profiles.ci]\napi = \"very-secret-value\"\n",
                "initiate-auth",
            ),
            ("[profiles.ci]\nclient_id = 0x5ec12e7\n", "string"),
        ] {
            let e = load_text(text).unwrap_err().to_string();
            for value in ["very-secret-value", "5ec12e7", "99357415"] {
                assert!(!e.contains(value), "{e}");
            }
            assert!(e.contains(key), "{e}");
        }
        assert_eq!(
            redact_quoted("unknown field `regoin`, expected one of `region`, `api`"),
            "unknown field `regoin`, expected one of `region`, `api`"
        );
        assert_eq!(
            redact_quoted("unknown variant `s3cr3t`, expected `a`; invalid type: string \"x"),
            "unknown variant `…`, expected `a`; invalid type: string \"…"
        );
        assert_eq!(redact_quoted("unknown field `a b`"), "unknown field `…`");
    }

    #[test]
    fn missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(&dir.path().join("none.toml")).unwrap();
        assert!(!c.exists);
        assert!(c.profiles.is_empty());
    }

    #[test]
    fn debug_redacts_the_literal_secret() {
        let c = load_text("[profiles.ci]\nclient_secret = \"literal-secret-1\"\n").unwrap();
        assert!(!format!("{c:?}").contains("literal-secret-1"));
        assert_eq!(
            c.client_secret("ci").unwrap().unwrap().expose_secret(),
            "literal-secret-1"
        );
    }

    #[cfg(unix)]
    #[test]
    fn literal_secret_needs_a_private_file() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(
            &path,
            "[profiles.ci]\nclient_secret = \"literal-secret-2\"\n",
        )
        .unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let c = Config::load(&path).unwrap();
        let e = c.client_secret("ci").unwrap_err();
        assert!(e.to_string().contains("chmod 600"), "{e}");
        assert!(!e.to_string().contains("literal-secret-2"));
    }

    #[cfg(unix)]
    #[test]
    fn files_and_directories_others_can_write_are_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("conf");
        fs::create_dir(&conf).unwrap();
        let path = conf.join("config.toml");
        fs::write(&path, "[profiles.ci]\nclient_id = \"c1\"\n").unwrap();
        let chmod = |p: &Path, mode| fs::set_permissions(p, fs::Permissions::from_mode(mode));
        // Readable by others is fine: no secret in it.
        chmod(&path, 0o644).unwrap();
        chmod(&conf, 0o755).unwrap();
        Config::load(&path).unwrap();
        for (p, mode, fix) in [
            (&path, 0o664, "config file"),
            (&path, 0o646, "config file"),
            (&conf, 0o775, "config directory"),
            (&conf, 0o1777, "config directory"),
        ] {
            chmod(p, mode).unwrap();
            let e = Config::load(&path).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Usage);
            let m = e.to_string();
            assert!(
                m.contains(fix) && m.contains("writable by group or others"),
                "{m}"
            );
            assert!(
                m.contains(&p.display().to_string()) && m.contains("chmod go-w"),
                "{m}"
            );
            assert!(add_profile(&path, "new", &Profile::default()).is_err());
            chmod(p, if p == &path { 0o600 } else { 0o700 }).unwrap();
        }
        // Through a symbolic link, the directory of the file it names counts too.
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        Config::load(&link).unwrap();
        chmod(&conf, 0o777).unwrap();
        let e = Config::load(&link).unwrap_err();
        assert!(e.to_string().contains(&conf.display().to_string()), "{e}");
    }

    #[test]
    fn secret_from_a_file_relative_to_the_config() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("secret.txt"), "s3cr3t\n").unwrap();
        let path = dir.path().join("config.toml");
        fs::write(
            &path,
            "[profiles.ci]\nclient_secret_file = \"secret.txt\"\n",
        )
        .unwrap();
        let c = Config::load(&path).unwrap();
        assert_eq!(
            c.client_secret("ci").unwrap().unwrap().expose_secret(),
            "s3cr3t"
        );
        fs::write(
            &path,
            "[profiles.ci]\nclient_secret_file = \"secret.txt\"\nclient_secret_env = \"X\"\n",
        )
        .unwrap();
        let e = Config::load(&path)
            .unwrap()
            .client_secret("ci")
            .unwrap_err();
        assert!(e.to_string().contains("not several"), "{e}");
    }

    #[test]
    fn profile_names() {
        for good in ["ci", "prod-eu_1", "A"] {
            check_profile_name(good).unwrap();
        }
        for bad in ["", ".hidden", "-x", "a/b", "a.b", "a b", &"x".repeat(65)] {
            assert!(check_profile_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn adding_a_profile_keeps_the_rest_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("config.toml");
        let new = Profile {
            client_id: Some("c9".into()),
            region: Some("eu-west-1".into()),
            api: Some(RefreshApi::GetTokens),
            client_secret_env: Some("MY_SECRET".into()),
            ..Profile::default()
        };
        assert!(add_profile(&path, "first", &new).unwrap());
        let c = Config::load(&path).unwrap();
        assert_eq!(c.profile("first").unwrap().client_id.as_deref(), Some("c9"));
        assert_eq!(c.profile("first").unwrap().api, Some(RefreshApi::GetTokens));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let mode = fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }

        let mine = "# my notes\n[profiles.dev] # the dev pool\nclient_id = \"c1\"\n";
        fs::write(&path, mine).unwrap();
        assert!(add_profile(&path, "ci", &new).unwrap());
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(mine), "{text}");
        assert!(text.contains("[profiles.ci]"), "{text}");
        // Already there: nothing changes.
        assert!(!add_profile(&path, "dev", &new).unwrap());
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
        // A file that does not parse is not rewritten.
        fs::write(&path, "[profiles.dev\n").unwrap();
        assert!(add_profile(&path, "x", &new).is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "[profiles.dev\n");
    }

    #[test]
    fn setting_keys_of_a_profile_keeps_the_rest_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let mine = "# my notes\n[profiles.web] # the web app\nclient_id = \"c1\"\napi = \"initiate-auth\"\n";
        fs::write(&path, mine).unwrap();
        let keys = [("api", "oauth2"), ("domain", "https://auth.example.com")];
        assert!(set_profile_keys(&path, "web", &keys).unwrap());
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# my notes\n[profiles.web] # the web app\n"),
            "{text}"
        );
        let web = Config::load(&path).unwrap().profiles.remove("web").unwrap();
        assert_eq!(web.api, Some(RefreshApi::OAuth2));
        assert_eq!(web.domain.as_deref(), Some("https://auth.example.com"));
        assert_eq!(web.client_id.as_deref(), Some("c1"));
        // Already so, or no such profile: nothing changes.
        assert!(!set_profile_keys(&path, "web", &keys).unwrap());
        assert!(!set_profile_keys(&path, "other", &keys).unwrap());
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
    }

    #[test]
    fn line_and_column() {
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("ab", 0), (1, 1));
        assert_eq!(line_column("é\nx", 99), (2, 2));
    }

    #[test]
    fn client_credentials_profiles_keep_their_grant_and_scopes() {
        let c = load_text(
            "[profiles.m2m]\nclient_id = \"c1\"\ngrant = \"client_credentials\"\n\
             scopes = [\"orders/read\", \"orders/write\"]\n",
        )
        .unwrap();
        let m2m = c.profile("m2m").unwrap();
        assert_eq!(m2m.grant, Some(Grant::ClientCredentials));
        let scopes = m2m.scopes.clone().unwrap();
        assert_eq!(scopes, ["orders/read", "orders/write"]);
        assert!(load_text("[profiles.m2m]\ngrant = \"password\"\n").is_err());

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let new = Profile {
            client_id: Some("c2".into()),
            grant: Some(Grant::ClientCredentials),
            scopes: Some(scopes),
            ..Profile::default()
        };
        assert!(add_profile(&path, "api", &new).unwrap());
        let saved = Config::load(&path).unwrap();
        let api = saved.profile("api").unwrap();
        assert_eq!(api.grant, new.grant);
        assert_eq!(api.scopes, new.scopes);
    }
}
