//! `cognito-refresh`: parse, run, print the error with its hints, exit with its code.

mod cli;

use anyhow::Result;
use clap::Parser as _;
use cli::args::{Cli, Command};
use cli::commands::{self, ChildStatus, Ctx, StdoutFailed};
use cli::hints::{self, Hinted};
use cli::log::{Log, eprintln};
use cli::settings::{process_env, resolve_profile};
use cognito_refresh::{Error as CoreError, ErrorKind};
use std::process::ExitCode;

fn main() -> ExitCode {
    not_dumpable();
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
    commands::completions::complete_if_asked();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version go to stdout and succeed; usage errors exit 2.
            let e = cli::usage::without_values(e);
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let log = Log {
        verbose: cli.verbose,
        quiet: cli.quiet,
    };
    let ctx = Ctx::new(log, resolve_profile(&cli.profile, &process_env));
    let code = match run(cli.command, &ctx) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => ExitCode::from(report(&err)),
    };
    // The command is done: nothing still pending in the runtime (a name lookup the resolver
    // never answers) may hold the process.
    ctx.shutdown();
    code
}

fn run(command: Command, ctx: &Ctx) -> Result<()> {
    match command {
        Command::Refresh(args) => commands::refresh::run(*args, ctx),
        Command::Decode(args) => commands::decode::run(args),
        Command::Diagnose(args) => commands::diagnose::run(*args, ctx),
        Command::Store(args) => commands::store::run(*args, ctx),
        Command::Token(args) => commands::token::run(*args, ctx),
        Command::Exec(args) => commands::exec::run(*args, ctx),
        Command::Watch(args) => commands::watch::run(*args, ctx),
        Command::Profiles(args) => commands::profiles::run(args, ctx),
        Command::Login(args) => commands::login::run(*args, ctx),
        Command::ForgetDevice(args) => commands::forget_device::run(*args, ctx),
        Command::Logout(args) => commands::logout::run(*args, ctx),
        Command::AwsCredentials(args) => commands::aws_credentials::run(*args, ctx),
        Command::Verify(args) => commands::verify::run(*args, ctx),
        Command::Completions(args) => commands::completions::run(args),
        Command::Man(args) => commands::man::run(args),
        Command::InitStore(args) => commands::init_store::run(*args, ctx),
        Command::ClientToken(args) => commands::client_token::run(*args, ctx),
    }
}

/// The process holds refresh tokens and client secrets in memory: like ssh-agent and gpg-agent,
/// it makes itself non-dumpable, so that a crash leaves no core file and other processes of the
/// same user cannot attach to it or read its memory (`/proc/<pid>/mem`, `environ`). `exec`'s
/// command is not affected: the kernel resets this on execve.
fn not_dumpable() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::process::{DumpableBehavior, set_dumpable_behavior};
        // Nothing to do when it fails (it does not, for an unprivileged process): the tool
        // works as before.
        let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
    }
}

/// Test hook: `COGNITO_REFRESH_TEST_FAILPOINT=panic` panics here, so the tests can see what a
/// bug looks like to the user. Only with the `failpoints` feature, which only the test suite
/// turns on: default and release builds do not read the variable.
fn test_panic() {
    #[cfg(feature = "failpoints")]
    if std::env::var_os("COGNITO_REFRESH_TEST_FAILPOINT").is_some_and(|v| v == "panic") {
        panic!("test panic holding secret-payload-value");
    }
}

/// Prints the error as one line (its causes after colons, settings named by their flags), then
/// its hints, and returns the exit code its kind gives.
fn report(err: &anyhow::Error) -> u8 {
    if let Some(child) = err.downcast_ref::<ChildStatus>() {
        return child.0;
    }
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
    if err.chain().any(|e| e.is::<StdoutFailed>()) {
        return StdoutFailed::EXIT_CODE;
    }
    core.map_or(ErrorKind::Other.exit_code(), |c| c.kind().exit_code())
}
