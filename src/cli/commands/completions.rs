//! `cognito-refresh completions SHELL`: the shell's completion script. The script asks the
//! tool itself for the candidates as the user types (clap_complete's dynamic completion), so
//! values no static script knows, the config file's profile names, complete too.

use super::write_stdout;
use crate::cli::args::{Cli, CompletionsArgs, Shell};
use anyhow::Result;
use clap::CommandFactory as _;
use clap_complete::CompleteEnv;
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

/// The variable the completion scripts set to ask for candidates (the shell's name). Not the
/// library's default `COMPLETE`: a variable of that name left in a CI job's environment would
/// turn every command into a completion request.
const VAR: &str = "_COGNITO_REFRESH_COMPLETE";

/// The command the scripts complete, and run to get candidates (found on PATH, so that the
/// scripts shipped in the release archives work wherever the binary is installed).
const BIN: &str = "cognito-refresh";

/// When the process was started by a completion script, prints the candidates and exits;
/// otherwise returns at once. Called before anything else writes to stdout.
pub fn complete_if_asked() {
    CompleteEnv::with_factory(Cli::command).var(VAR).complete();
}

pub fn run(args: CompletionsArgs) -> Result<()> {
    let shell: &dyn EnvCompleter = match args.shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::Powershell => &Powershell,
        Shell::Elvish => &Elvish,
    };
    let mut script = Vec::new();
    shell.write_registration(VAR, BIN, BIN, BIN, &mut script)?;
    write_stdout(&String::from_utf8(script)?)
}
