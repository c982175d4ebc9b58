//! One module per subcommand: each takes its parsed arguments and does the work.

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

use anyhow::{Context as _, Result, anyhow};
use std::io::{self, Write};

/// A single-threaded runtime, built only by the commands that talk to Cognito.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub fn write_stdout(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| anyhow!("writing to standard output: {e}")),
    }
}
