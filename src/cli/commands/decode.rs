//! `cognito-refresh decode`: a token's header and claims, or a refresh token's shape.

use super::write_stdout;
use crate::cli::args::DecodeArgs;
use crate::cli::input::{read_limited, trim_secret};
use crate::cli::output;
use anyhow::Result;
use cognito_refresh::{Error as CoreError, ExposeSecret};

pub fn run(args: DecodeArgs) -> Result<()> {
    let token = match args.token {
        Some(t) => trim_secret(t),
        None => read_limited(std::io::stdin().lock(), "standard input")?,
    };
    if token.expose_secret().is_empty() {
        return Err(CoreError::usage("no token: pass one, or pipe it to standard input").into());
    }
    let out = output::render_decoded(token.expose_secret())
        .map_err(|e| CoreError::usage(format!("cannot decode the token: {e}")))?;
    write_stdout(&out)
}
