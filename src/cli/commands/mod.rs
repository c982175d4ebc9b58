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

use crate::cli::log::Log;
use crate::cli::settings::{ProfileChoice, Settings};
use anyhow::{Context as _, Result, anyhow};
use cognito_refresh::{Error as CoreError, RefreshOptions};
use std::cell::OnceCell;
use std::io::{self, Write};
use tokio::runtime::Runtime;

/// What every command gets from `main`: the log, the chosen profile, and the process's one
/// async runtime.
pub struct Ctx {
    pub log: Log,
    pub profile: ProfileChoice,
    runtime: OnceCell<Runtime>,
}

impl Ctx {
    pub fn new(log: Log, profile: ProfileChoice) -> Ctx {
        Ctx {
            log,
            profile,
            runtime: OnceCell::new(),
        }
    }

    /// The process's runtime: single-threaded, built the first time a command talks to
    /// Cognito (a `token` served from the store builds none).
    pub fn runtime(&self) -> Result<&Runtime> {
        if let Some(runtime) = self.runtime.get() {
            return Ok(runtime);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        Ok(self.runtime.get_or_init(|| runtime))
    }

    /// Ends the runtime without waiting for its blocking threads: a name lookup the resolver
    /// never answers must not hold the process past --timeout (dropping a runtime would wait).
    pub fn shutdown(self) {
        if let Some(runtime) = self.runtime.into_inner() {
            runtime.shutdown_background();
        }
    }
}

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
