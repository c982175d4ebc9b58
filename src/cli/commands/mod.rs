//! One module per subcommand: each resolves its settings, calls the library, and prints.

pub mod aws_credentials;
pub mod client_token;
pub mod completions;
pub mod decode;
pub mod diagnose;
pub mod exec;
pub mod forget_device;
pub mod init_store;
pub mod login;
pub mod login_browser;
pub mod logout;
pub mod man;
pub mod profiles;
pub mod refresh;
pub mod store;
pub mod token;
pub mod verify;
pub mod watch;

pub use crate::cli::ctx::Ctx;
use crate::cli::log::Log;
use crate::cli::secrets::Secrets;
use crate::cli::settings::{Chosen, Flags, Settings, process_env, resolve};
use anyhow::Result;
use cognito_refresh::{Error as CoreError, RefreshOptions};
use std::io::{self, Write};

/// The options to refresh the session given (no profile): reads its secrets, and requires its
/// refresh token.
pub fn given_options(ctx: &Ctx, settings: &Settings) -> Result<RefreshOptions> {
    let secrets = settings.read_secrets(None, &ctx.log)?;
    let refresh_token = secrets.refresh_token.clone().ok_or_else(|| {
        CoreError::usage(
            "no refresh token: set COGNITO_REFRESH_TOKEN, or pass --refresh-token-file PATH \
             (- for standard input)",
        )
    })?;
    ctx.log.info(&settings.describe(None));
    settings.options(refresh_token, &secrets)
}

/// A sign-in's settings (flags, the profile when one is chosen, the environment), its secrets
/// and its app client, with the `-v` line saying where each setting came from.
pub fn sign_in_settings(
    flags: Flags<'_>,
    chosen: Option<&Chosen>,
    log: &Log,
) -> Result<(Settings, Secrets, String)> {
    let settings = match chosen {
        Some(chosen) => chosen.settings(flags),
        None => resolve(flags, None, &process_env),
    };
    let secrets = settings.read_secrets(chosen, log)?;
    log.info(&settings.describe(chosen.map(|c| c.name.as_str())));
    let client_id = settings.require_client_id()?;
    Ok((settings, secrets, client_id))
}

/// Writes to stdout. When that fails (a pipe whose reader is gone, a full disk), the output was
/// not delivered: the command fails with [`StdoutFailed`], whose exit code is its own.
pub fn write_stdout(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| StdoutFailed(e).into())
}

/// The command `exec --watch` ran has ended with this exit code, which becomes this process's;
/// nothing is reported, as the command said what it had to.
#[derive(Debug)]
pub struct ChildStatus(pub u8);

impl std::fmt::Display for ChildStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the command exited with code {}", self.0)
    }
}

impl std::error::Error for ChildStatus {}

/// Standard output could not be written: what the command was to print was not delivered
/// (tokens a profile's store holds are kept there all the same).
#[derive(Debug)]
pub struct StdoutFailed(io::Error);

impl StdoutFailed {
    /// The exit code (README, Exit codes): none of the error kinds, as nothing went wrong
    /// with the tokens or the command line.
    pub const EXIT_CODE: u8 = 6;
}

impl std::fmt::Display for StdoutFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.kind() == io::ErrorKind::BrokenPipe {
            write!(
                f,
                "standard output is closed (nothing reads the pipe): the output was not delivered"
            )
        } else {
            write!(
                f,
                "cannot write to standard output ({}): the output was not delivered",
                self.0
            )
        }
    }
}

impl std::error::Error for StdoutFailed {}
