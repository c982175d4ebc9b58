//! `cognito-refresh`: parse, run, print the error with its hints, exit with its code.

mod cli;

use anyhow::Result;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use cli::args::{Cli, Command};
use cli::commands;
use cli::hints::{self, Hinted};
use cli::log::{Log, eprintln};
use cognito_refresh::{Error as CoreError, ErrorKind};
use std::process::ExitCode;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        // One line, never a backtrace (whatever RUST_BACKTRACE says) and never the panic's
        // payload, which could hold a value the tool was working on.
        let at = info
            .location()
            .map_or(String::new(), |l| format!(" at {}:{}", l.file(), l.line()));
        eprintln(&format!(
            "cognito-refresh: internal error: the tool stopped{at}; please report it"
        ));
    }));
    // A bug is exit 1, like any error that is not the user's to fix.
    std::panic::catch_unwind(real_main).unwrap_or(ExitCode::from(ErrorKind::Other.exit_code()))
}

fn real_main() -> ExitCode {
    test_panic();
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            // --help and --version go to stdout and succeed; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(2);
        }
    };
    let log = Log {
        verbose: cli.verbose,
        quiet: cli.quiet,
    };
    match run(cli, &matches, &log) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => ExitCode::from(report(&err)),
    }
}

fn run(cli: Cli, matches: &ArgMatches, log: &Log) -> Result<()> {
    // The subcommand's own matches tell where its values came from (flag or environment).
    let sub = matches.subcommand().map_or(matches, |(_, m)| m);
    let profile = &cli.profile;
    match cli.command {
        Command::Refresh(args) => commands::refresh::run(*args, profile, sub, log),
        Command::Decode(args) => commands::decode::run(args),
        Command::Diagnose(args) => commands::diagnose::run(*args, profile, sub, log),
        Command::Store(args) => commands::store::run(*args, profile, sub, log),
        Command::Token(args) => commands::token::run(*args, profile, sub, log),
        Command::Exec(args) => commands::exec::run(*args, profile, sub, log),
        Command::Profiles(args) => commands::profiles::run(args, profile, log),
        Command::Login(args) => commands::login::run(*args, profile, sub, log),
        Command::ForgetDevice(args) => commands::forget_device::run(*args, profile, sub, log),
        Command::Logout(args) => commands::logout::run(*args, profile, sub, log),
    }
}

/// Test hook: `COGNITO_REFRESH_TEST_FAILPOINT=panic` panics here, so the tests can see what a
/// bug looks like to the user. Only in debug builds: release builds do not read the variable.
fn test_panic() {
    #[cfg(debug_assertions)]
    if std::env::var_os("COGNITO_REFRESH_TEST_FAILPOINT").is_some_and(|v| v == "panic") {
        panic!("test panic holding secret-payload-value");
    }
}

/// Prints the error as one line (its causes after colons, settings named by their flags), then
/// its hints, and returns the exit code its kind gives.
fn report(err: &anyhow::Error) -> u8 {
    let core = err.chain().find_map(|e| e.downcast_ref::<CoreError>());
    let mut causes = Vec::new();
    let mut added = Vec::new();
    for e in err.chain() {
        if let Some(hinted) = e.downcast_ref::<Hinted>() {
            added.push(hinted.hint.clone());
        } else if let Some(core) = e.downcast_ref::<CoreError>() {
            causes.push(hints::message(core));
        } else {
            causes.push(e.to_string());
        }
    }
    eprintln(&format!("cognito-refresh: error: {}", causes.join(": ")));
    for hint in core
        .map(hints::hints)
        .unwrap_or_default()
        .iter()
        .chain(&added)
    {
        eprintln(&format!("hint: {hint}"));
    }
    core.map_or(ErrorKind::Other.exit_code(), |c| c.kind().exit_code())
}
