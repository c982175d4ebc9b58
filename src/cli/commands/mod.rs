//! One module per subcommand: each resolves its settings, calls the library, and prints.

pub mod decode;
pub mod diagnose;
pub mod exec;
pub mod forget_device;
pub mod login;
pub mod logout;
pub mod profiles;
pub mod refresh;
pub mod store;
pub mod token;

pub use crate::cli::ctx::Ctx;
use crate::cli::settings::Settings;
use anyhow::{Result, anyhow};
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

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub fn write_stdout(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| anyhow!("writing to standard output: {e}")),
    }
}
