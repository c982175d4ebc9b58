//! `cognito-refresh`: parse, run, print the error with its hints, exit with its code.

mod cli;
mod output;

use anyhow::{Context as _, Result, anyhow};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use cli::{Api, Cli, Command, DecodeArgs, RefreshArgs};
use cognito_refresh::{
    Error as CoreError, ErrorKind, ExposeSecret, Note, RefreshApi, RefreshOptions, SecretString,
};
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// Longer than any token Cognito issues (refresh tokens are about 1.8 KiB); a larger input is
/// a mistake, not a token.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

fn main() -> ExitCode {
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

/// Messages on stderr: `-v` adds what was decided, `-q` drops warnings.
struct Log {
    verbose: bool,
    quiet: bool,
}

impl Log {
    fn info(&self, message: &str) {
        if self.verbose {
            eprintln(&format!("cognito-refresh: {message}"));
        }
    }

    fn warn(&self, message: &str) {
        if !self.quiet {
            eprintln(&format!("cognito-refresh: warning: {message}"));
        }
    }

    fn notes(&self, notes: &[Note]) {
        for note in notes {
            match note {
                Note::Info(m) => self.info(m),
                Note::Warning(m) => self.warn(m),
            }
        }
    }
}

#[allow(clippy::print_stderr)]
fn eprintln(line: &str) {
    eprintln!("{line}");
}

/// Prints the error as one line, then its hints, and returns the exit code its kind gives.
fn report(err: &anyhow::Error) -> u8 {
    let core = err.chain().find_map(|e| e.downcast_ref::<CoreError>());
    eprintln(&format!("cognito-refresh: error: {err:#}"));
    if let Some(core) = core {
        for hint in core.hints() {
            eprintln(&format!("hint: {hint}"));
        }
    }
    core.map_or(ErrorKind::Other.exit_code(), |c| c.kind().exit_code())
}

fn run(cli: Cli, matches: &ArgMatches, log: &Log) -> Result<()> {
    match cli.command {
        Command::Refresh(args) => {
            let sub = matches.subcommand_matches("refresh").unwrap_or(matches);
            refresh(args, sub, log)
        }
        Command::Decode(args) => decode(args),
    }
}

fn refresh(args: Box<RefreshArgs>, matches: &ArgMatches, log: &Log) -> Result<()> {
    for (id, flag, env) in [
        ("refresh_token", "--refresh-token", "COGNITO_REFRESH_TOKEN"),
        ("client_secret", "--client-secret", "COGNITO_CLIENT_SECRET"),
    ] {
        if matches.value_source(id) == Some(ValueSource::CommandLine) {
            log.warn(&format!(
                "{flag} on the command line can be read by other local users; prefer {env} or \
                 {flag}-file"
            ));
        }
    }
    let mut s = args.session;
    // An empty variable is an unset one (`COGNITO_CLIENT_SECRET= cognito-refresh ...`).
    for (id, value) in [
        ("refresh_token", &mut s.refresh_token),
        ("client_secret", &mut s.client_secret),
    ] {
        if matches.value_source(id) == Some(ValueSource::EnvVariable)
            && value
                .as_ref()
                .is_some_and(|v| v.expose_secret().trim().is_empty())
        {
            *value = None;
        }
    }
    let c = args.connection;
    let mut stdin = StdinOnce::default();
    let refresh_token = read_secret(
        s.refresh_token_file.as_deref(),
        s.refresh_token,
        "refresh token",
        &mut stdin,
    )?
    .ok_or_else(|| {
        CoreError::usage(
            "no refresh token: set COGNITO_REFRESH_TOKEN, or pass --refresh-token-file PATH \
             (- for standard input)",
        )
    })?;
    let client_secret = read_secret(
        s.client_secret_file.as_deref(),
        s.client_secret,
        "client secret",
        &mut stdin,
    )?;
    let api = match args.api {
        Api::InitiateAuth => RefreshApi::InitiateAuth,
        Api::GetTokens => RefreshApi::GetTokens,
    };
    let options = RefreshOptions {
        client_id: s.client_id.trim().to_string(),
        refresh_token,
        client_secret,
        username: s.username,
        device_key: s.device_key,
        region: c
            .region
            .or_else(|| env_var("AWS_REGION"))
            .or_else(|| env_var("AWS_DEFAULT_REGION")),
        user_pool_id: c.user_pool_id,
        endpoint_url: c
            .endpoint_url
            .or_else(|| env_var("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"))
            .or_else(|| env_var("AWS_ENDPOINT_URL")),
        access_token: trimmed(s.access_token),
        id_token: trimmed(s.id_token),
        api,
        client_metadata: args.client_metadata,
        timeout: Duration::from_secs_f64(c.timeout),
        max_attempts: 3,
        use_aws_profile_region: true,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let tokens = runtime.block_on(async {
        let plan = cognito_refresh::plan(options).await?;
        log.notes(&plan.notes);
        cognito_refresh::refresh(&plan).await
    })?;
    if tokens.refresh_token.is_some()
        && matches!(
            args.output,
            cli::OutputFormat::AccessToken | cli::OutputFormat::IdToken
        )
    {
        log.warn(
            "Cognito rotated the refresh token and this output format leaves the new one out: \
             the old one stops working after the client's grace period; use --output json or env",
        );
    }
    if let Some(device) = &tokens.new_device {
        log.info(&format!(
            "Cognito returned a new device {} (confirm it with ConfirmDevice to remember it)",
            device.device_key.as_deref().unwrap_or("(no key)")
        ));
    }
    write_stdout(&output::render_tokens(&tokens, args.output, api)?)
}

fn decode(args: DecodeArgs) -> Result<()> {
    let token = match args.token {
        Some(t) => trim_secret(t),
        None => read_limited(io::stdin().lock(), "standard input")?,
    };
    if token.expose_secret().is_empty() {
        return Err(CoreError::usage("no token: pass one, or pipe it to standard input").into());
    }
    let out = output::render_decoded(token.expose_secret())
        .map_err(|e| CoreError::usage(format!("cannot decode the token: {e}")))?;
    write_stdout(&out)
}

/// Standard input can be read once: for one secret at most.
#[derive(Default)]
struct StdinOnce {
    taken_by: Option<&'static str>,
}

/// A secret from its file (`-` for stdin) or from its value (flag or environment), trimmed.
fn read_secret(
    file: Option<&Path>,
    value: Option<SecretString>,
    what: &'static str,
    stdin: &mut StdinOnce,
) -> Result<Option<SecretString>> {
    let secret = match file {
        Some(path) if path == Path::new("-") => {
            if let Some(other) = stdin.taken_by {
                return Err(CoreError::usage(format!(
                    "the {other} is already read from standard input: give the {what} another way"
                ))
                .into());
            }
            stdin.taken_by = Some(what);
            read_limited(io::stdin().lock(), "standard input")
                .with_context(|| format!("reading the {what}"))?
        }
        Some(path) => {
            let file = std::fs::File::open(path).map_err(|e| {
                CoreError::usage(format!(
                    "cannot read the {what} file {}: {e}",
                    path.display()
                ))
            })?;
            read_limited(file, &path.display().to_string())
                .with_context(|| format!("reading the {what}"))?
        }
        None => match value {
            Some(v) => trim_secret(v),
            None => return Ok(None),
        },
    };
    if secret.expose_secret().is_empty() {
        let from = match file {
            Some(p) if p == Path::new("-") => "standard input".to_string(),
            Some(p) => p.display().to_string(),
            None => "the value given".to_string(),
        };
        return Err(CoreError::usage(format!("the {what} is empty ({from})")).into());
    }
    Ok(Some(secret))
}

/// Reads at most MAX_SECRET_BYTES of UTF-8 text, trimmed. Errors name the source, never the content.
fn read_limited(reader: impl Read, source: &str) -> Result<SecretString> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_SECRET_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CoreError::usage(format!("cannot read {source}: {e}")))?;
    if bytes.len() as u64 > MAX_SECRET_BYTES {
        return Err(CoreError::usage(format!(
            "{source} holds more than {} KiB: that is not a token",
            MAX_SECRET_BYTES / 1024
        ))
        .into());
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        CoreError::usage(format!("{source} is not UTF-8 text: that is not a token"))
    })?;
    Ok(trim_secret(SecretString::from(text)))
}

fn trim_secret(s: SecretString) -> SecretString {
    let t = s.expose_secret();
    if t.len() == t.trim().len() {
        s
    } else {
        SecretString::from(t.trim())
    }
}

fn trimmed(s: Option<SecretString>) -> Option<SecretString> {
    s.map(trim_secret)
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn write_stdout(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| anyhow!("writing to standard output: {e}")),
    }
}
