//! `cognito-refresh exec`: run a command with a profile's valid tokens in its environment.

use super::{ChildStatus, Ctx};
use crate::cli::args::{ExecArgs, SinkFormat};
use crate::cli::aws::fresh_aws;
use crate::cli::keeper::{Keeper, Stop, Stopped};
use crate::cli::profile;
use crate::cli::settings::Flags;
use anyhow::Result;
use cognito_refresh::identity::AwsCredentials;
use cognito_refresh::tokens::rfc3339;
use cognito_refresh::{Entry, Error as CoreError, ErrorKind, ExposeSecret, Need};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// Set in the command's environment by `--watch`: the file holding its fresh access token.
const TOKEN_FILE: &str = "COGNITO_TOKEN_FILE";

/// Set in the command's environment to the profile's name; its presence refuses nesting.
const EXEC_MARKER: &str = "COGNITO_REFRESH_EXEC";

/// Variables the tool reads long-lived secrets from (besides a profile's `client_secret_env`):
/// the command does not get them, unless `--pass-env` names them. It gets the access and ID
/// tokens, which expire within the hour, instead.
pub const SECRET_VARIABLES: [&str; 5] = [
    "COGNITO_REFRESH_TOKEN",
    "COGNITO_CLIENT_SECRET",
    "COGNITO_PASSWORD",
    "COGNITO_NEW_PASSWORD",
    "COGNITO_MFA_CODE",
];

pub fn run(args: ExecArgs, ctx: &Ctx) -> Result<()> {
    if !args.allow_nested
        && let Some(outer) = std::env::var_os(EXEC_MARKER)
    {
        return Err(CoreError::usage(format!(
            "already inside `cognito-refresh exec` (profile {}): the tokens are in the \
             environment; pass --allow-nested to run another one anyway",
            outer.to_string_lossy()
        ))
        .into());
    }
    let mut chosen = profile::require(&ctx.profile, "exec")?;
    if args.aws.aws_credentials {
        // Before any request: an app client's own token has no user to get credentials for.
        crate::cli::m2m::refuse(&chosen, "exec --aws-credentials")?;
    }
    let flags = Flags {
        identity: Some(&args.aws.identity),
        ..Flags::from(&args.session)
    };
    profile::create_if_absent(&mut chosen, flags, None, &ctx.log)?;
    let settings = chosen.settings(flags);
    let need = if args.watch { Need::Access } else { Need::All };
    let entry = profile::fresh(ctx, &chosen, &settings, &args.freshness, need)?;
    let access = entry
        .access_token
        .as_ref()
        .ok_or_else(|| CoreError::new(ErrorKind::Other, "no access token"))?;
    let expires_at = entry
        .expires_at_for(Need::All)
        .map(rfc3339)
        .transpose()?
        .ok_or_else(|| CoreError::new(ErrorKind::Other, "the tokens have no expiry"))?;

    let aws = match args.aws.aws_credentials {
        true => Some(fresh_aws(ctx, &chosen, &settings, &args.freshness)?),
        false => None,
    };

    let (program, program_args) = args
        .command
        .split_first()
        .ok_or_else(|| CoreError::usage("no command to run"))?;
    let mut command = Command::new(program);
    command
        .args(program_args)
        // Values from an outer session or an older run must not survive beside the new ones.
        .env_remove("COGNITO_ACCESS_TOKEN")
        .env_remove("COGNITO_ID_TOKEN")
        .env_remove("COGNITO_TOKEN_EXPIRES_AT")
        .env_remove(TOKEN_FILE)
        .env("COGNITO_ACCESS_TOKEN", access.expose_secret())
        .env("COGNITO_TOKEN_EXPIRES_AT", &expires_at)
        .env(EXEC_MARKER, &chosen.name);
    if let Some(id) = &entry.id_token {
        command.env("COGNITO_ID_TOKEN", id.expose_secret());
    }
    if let Some(aws) = &aws {
        set_aws_credentials(&mut command, &aws.credentials)?;
    }
    let client_secret_env = chosen
        .profile()
        .and_then(|p| p.client_secret_env.as_deref());
    for name in SECRET_VARIABLES.into_iter().chain(client_secret_env) {
        if !args.pass_env.iter().any(|kept| kept == name) {
            command.env_remove(name);
        }
    }
    let name = program.to_string_lossy().into_owned();
    if args.watch {
        let keeper = Keeper::new(
            ctx,
            &chosen,
            &settings,
            PathBuf::new(),
            SinkFormat::AccessToken,
            args.freshness.min_ttl,
        );
        return watching(command, &name, keeper, &entry, ctx);
    }
    run_replacing(command, &name)
}

/// Runs the command as a child while `keeper` keeps a token file fresh for it (named by
/// COGNITO_TOKEN_FILE, in a private directory removed afterwards), forwarding stop signals to
/// it. Returns the child's exit status as this process's (128 + the signal's number when a
/// signal ended it, as shells report it).
fn watching(
    mut command: Command,
    name: &str,
    mut keeper: Keeper<'_>,
    entry: &Entry,
    ctx: &Ctx,
) -> Result<()> {
    let dir = token_dir()?;
    keeper.sink = dir.path().join("token");
    let mut wait = keeper.keep(entry)?;
    command.env(TOKEN_FILE, &keeper.sink);
    let mut stop = Stop::catch(ctx)?;
    let rt = ctx.runtime()?;
    let mut child = {
        let _entered = rt.enter();
        tokio::process::Command::from(command)
            .spawn()
            .map_err(|e| CoreError::usage(format!("cannot run {name}: {e}")))?
    };
    let mut refreshing = true;
    let status = loop {
        let event = rt.block_on(async {
            tokio::select! {
                status = child.wait() => Event::Exited(status),
                signal = stop.next() => Event::Signal(signal),
                () = tokio::time::sleep(wait) => Event::Due,
            }
        });
        match event {
            Event::Exited(status) => {
                break status.map_err(|e| CoreError::usage(format!("waiting for {name}: {e}")))?;
            }
            Event::Signal(signal) => forward(&child, signal),
            Event::Due if refreshing => match keeper.round() {
                Ok(next) => wait = next,
                Err(e) => {
                    // The command goes on; its token file is kept while valid, then removed.
                    ctx.log.warn(&format!(
                        "cannot keep {TOKEN_FILE} fresh any more: {e:#}; {name} goes on"
                    ));
                    refreshing = false;
                    wait = until_expiry(keeper.valid_until());
                }
            },
            Event::Due => {
                cognito_refresh::sink::remove(&keeper.sink)?;
                wait = Duration::from_secs(24 * 3600);
            }
        }
    };
    drop(dir);
    Err(ChildStatus(exit_code(status)).into())
}

/// What ended a wait of `watching`.
enum Event {
    Exited(std::io::Result<std::process::ExitStatus>),
    Signal(Stopped),
    Due,
}

/// How long until `until` (at least a second).
fn until_expiry(until: Option<i64>) -> Duration {
    let left = until.map_or(0, |u| u - cognito_refresh::tokens::now_unix());
    Duration::from_secs(u64::try_from(left).unwrap_or(0).max(1))
}

/// A private directory for the token file: under XDG_RUNTIME_DIR (a per-user tmpfs) when set,
/// else the system's temporary directory; 0700, removed when dropped.
fn token_dir() -> Result<tempfile::TempDir> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && p.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    tempfile::Builder::new()
        .prefix("cognito-refresh-")
        .tempdir_in(&base)
        .map_err(|e| {
            CoreError::usage(format!(
                "cannot create a directory for the token file in {}: {e}",
                base.display()
            ))
            .into()
        })
}

/// Passes a stop signal on to the child (on Unix; elsewhere the console gives Ctrl-C to both).
fn forward(child: &tokio::process::Child, signal: Stopped) {
    #[cfg(unix)]
    if let Some(pid) = child
        .id()
        .and_then(|id| rustix::process::Pid::from_raw(id as i32))
    {
        use rustix::process::Signal;
        let signal = match signal {
            Stopped::Terminate => Signal::TERM,
            Stopped::Interrupt => Signal::INT,
            Stopped::Hangup => Signal::HUP,
        };
        // The child may have just exited: nothing to do then.
        let _ = rustix::process::kill_process(pid, signal);
    }
    #[cfg(not(unix))]
    let _ = (child, signal);
}

/// The exit code a shell would give for `status`.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return u8::try_from(128 + signal).unwrap_or(255);
    }
    status.code().map_or(1, |c| u8::try_from(c).unwrap_or(255))
}

/// The AWS variables of `exec --aws-credentials`: stale ones (an outer session's, a long-lived
/// key's) removed, the identity pool's set, with their expiry.
fn set_aws_credentials(command: &mut Command, c: &AwsCredentials) -> Result<()> {
    for stale in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
    ] {
        command.env_remove(stale);
    }
    command
        .env("AWS_ACCESS_KEY_ID", &c.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", c.secret_access_key.expose_secret())
        .env("AWS_SESSION_TOKEN", c.session_token.expose_secret())
        .env("AWS_CREDENTIAL_EXPIRATION", rfc3339(c.expiration)?);
    Ok(())
}

/// On Unix the command replaces this process (execvp), keeping its process id: SIGINT and
/// SIGTERM sent to it (or to the terminal's process group) reach the command itself, as
/// nothing stands in between to forward them, and the command's exit status, or the signal
/// that ended it, is what the caller sees. The profile's lock was released before this point
/// (files are opened close-on-exec besides), so the command holds nothing of ours.
#[cfg(unix)]
fn run_replacing(mut command: Command, name: &str) -> Result<()> {
    use std::os::unix::process::CommandExt as _;
    // exec returns only when it failed.
    let err = command.exec();
    Err(CoreError::usage(format!("cannot run {name}: {err}")).into())
}

/// Elsewhere the command runs as a child, and its exit code becomes ours.
#[cfg(not(unix))]
fn run_replacing(mut command: Command, name: &str) -> Result<()> {
    let status = command
        .status()
        .map_err(|e| CoreError::usage(format!("cannot run {name}: {e}")))?;
    std::process::exit(status.code().unwrap_or(1));
}
