//! `cognito-refresh man`: the man page in roff, made from the command line's definition (so
//! it never disagrees with --help); `--dir` writes one page per command.

use super::write_stdout;
use crate::cli::args::{Cli, ManArgs};
use anyhow::{Context as _, Result};
use clap::CommandFactory as _;
use clap_mangen::Man;
use std::path::Path;

/// The README's exit code table, for the main page.
const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success.
.TP
\fB1\fR
Anything else: an unexpected answer, a Lambda trigger failure, a WAF block.
.TP
\fB2\fR
Usage or local configuration: missing or conflicting arguments, an unreadable file, no region,
a refused endpoint, a profile or token store error.
.TP
\fB3\fR
The refresh token cannot be used (NotAuthorizedException about the token,
RefreshTokenReuseException, UserNotFoundException): sign in again.
.TP
\fB4\fR
The request is misconfigured (SECRET_HASH problems, a missing secret,
ResourceNotFoundException, InvalidParameterException): fix the client id, secret, username or
region.
.TP
\fB5\fR
Transient: network, timeout, throttling or a server error after retries: try again.
.TP
\fB6\fR
Standard output could not be written: what was to be printed was not delivered.
"#;

pub fn run(args: ManArgs) -> Result<()> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    match args.dir {
        None => write_stdout(&String::from_utf8(page(cmd, true)?)?),
        Some(dir) => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            write_pages(cmd, &dir, true)
        }
    }
}

/// One command's page; the main one also lists the exit codes.
fn page(cmd: clap::Command, main: bool) -> Result<Vec<u8>> {
    let man = Man::new(cmd);
    let mut out = Vec::new();
    man.render(&mut out)?;
    if main {
        out.extend_from_slice(EXIT_STATUS.as_bytes());
    }
    Ok(out)
}

/// The page of `cmd` and of each of its subcommands, as `NAME.1` files in `dir`.
fn write_pages(cmd: clap::Command, dir: &Path, main: bool) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), dir, false)?;
    }
    let path = dir.join(Man::new(cmd.clone()).get_filename());
    std::fs::write(&path, page(cmd, main)?).with_context(|| format!("writing {}", path.display()))
}
