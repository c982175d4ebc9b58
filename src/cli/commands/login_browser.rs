//! `cognito-refresh login --flow browser`: the hosted UI's authorization code grant with PKCE,
//! in the user's browser, redirected to a listener on this machine; the session is kept in the
//! profile, which then refreshes at the domain's token endpoint (`api = "oauth2"`).

use super::{Ctx, sign_in_settings, write_stdout};
use crate::cli::args::{
    Api, ApiArgs, AwsProfileArgs, ClientMetadataArgs, DEFAULT_BROWSER_WAIT, DEFAULT_REDIRECT_URI,
    DEFAULT_TIMEOUT, Flow, LoginArgs, OutputFormat,
};
use crate::cli::browser;
use crate::cli::hints::{self, Hinted};
use crate::cli::log::{Log, eprintln};
use crate::cli::output;
use crate::cli::profile;
use crate::cli::settings::{Chosen, Flags, Source, value};
use anyhow::Result;
use cognito_refresh::config;
use cognito_refresh::signin::browser::{BrowserSignIn, Ignored, Page};
use cognito_refresh::{Entry, Error as CoreError, ErrorKind, ExposeSecret, RefreshApi};
use std::time::Duration;

pub fn run(args: LoginArgs, ctx: &Ctx) -> Result<()> {
    let log = &ctx.log;
    refuse_sign_in_options(&args)?;
    let mut chosen = profile::choose(&ctx.profile)?;
    if let Some(chosen) = &chosen {
        crate::cli::m2m::refuse(chosen, "login")?;
    }
    if chosen.is_none() && !args.print {
        return Err(CoreError::usage(
            "login keeps the tokens in a profile's token store: pass --profile NAME (or set \
             COGNITO_PROFILE), or --print to only print them",
        )
        .into());
    }
    // The domain is resolved as the refresh commands resolve it, and the profile made to
    // refresh through the domain's token endpoint.
    let api = ApiArgs {
        api: Some(Api::OAuth2),
        domain: args.browser.domain.clone(),
        metadata: ClientMetadataArgs {
            client_metadata: Vec::new(),
        },
        aws: AwsProfileArgs { aws_profile: None },
    };
    let flags = Flags {
        client: Some(&args.client),
        connection: Some(&args.connection),
        api: Some(&api),
        ..Flags::default()
    };
    if let Some(chosen) = chosen.as_mut() {
        profile::create_if_absent(chosen, flags, None, log)?;
    }
    let (settings, secrets, client_id) = sign_in_settings(flags, chosen.as_ref(), log)?;
    let domain = value(&settings.domain).ok_or_else(|| {
        CoreError::usage(
            "--flow browser signs in at the user pool's domain: pass --domain https://DOMAIN \
             (the hosted UI's, e.g. myapp.auth.eu-west-1.amazoncognito.com), set \
             COGNITO_DOMAIN, or add domain to the profile",
        )
    })?;
    let redirect = args
        .browser
        .redirect_uri
        .as_deref()
        .unwrap_or(DEFAULT_REDIRECT_URI);
    let mut sign_in = BrowserSignIn::new(&domain, &client_id, redirect)?;
    sign_in.client_secret = secrets.client_secret.clone();
    sign_in.scopes = args
        .browser
        .scope
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(str::to_string)
        .collect();
    sign_in.identity_provider = args
        .browser
        .identity_provider
        .clone()
        .filter(|p| !p.trim().is_empty());
    let wait = match settings.timeout.source {
        Source::Default => Duration::from_secs_f64(DEFAULT_BROWSER_WAIT),
        _ => settings.timeout.value,
    };
    let request_timeout = Duration::from_secs_f64(DEFAULT_TIMEOUT);

    // A store that cannot be written fails now, before the user is sent to the browser.
    if let Some(c) = &chosen {
        let lock = c.store.lock(&c.name, Duration::from_secs(30))?;
        let stored = c.store.load(&c.name)?;
        drop(c.store.begin_save(&lock, stored.as_ref())?);
    }
    let rt = ctx.runtime()?;
    let listener = rt.block_on(sign_in.listen()).map_err(|e| {
        Hinted::wrap(
            e,
            format!(
                "pass --redirect-uri with another port that the app client lists among its \
                 callback URLs (the default is {DEFAULT_REDIRECT_URI})"
            ),
        )
    })?;
    rt.block_on(sign_in.check(request_timeout)).map_err(|e| {
        match e.kind() == ErrorKind::Misconfigured && e.to_string().contains("redirect URI") {
            true => Hinted::wrap(
                e,
                format!(
                    "--redirect-uri URL uses another redirect URI the app client lists (the \
                     default is {DEFAULT_REDIRECT_URI})"
                ),
            ),
            false => e.into(),
        }
    })?;

    let url = sign_in.authorize_url();
    let secret_variables = secret_variables(chosen.as_ref());
    let opened = !args.browser.no_browser && browser::open(url.as_str(), &secret_variables, log);
    // The address is shown even with -q: without it there is no sign-in.
    eprintln(&format!(
        "cognito-refresh: {}\n  {url}",
        match opened {
            true => "opened the browser to sign in; if it did not open, go to:",
            false => "to sign in, open this address in a browser:",
        }
    ));
    log.notice(&format!(
        "waiting for the sign-in to come back to {} (at most {})",
        sign_in.redirect_uri,
        minutes(wait)
    ));
    let callback = rt
        .block_on(listener.wait(wait, &mut |ignored| report(log, &ignored)))
        .map_err(|e| match e.kind() {
            ErrorKind::Transient => Hinted::wrap(
                e,
                "run the login again when ready; --timeout SECONDS waits longer (at most 3600)",
            ),
            _ => e.into(),
        })?;

    // The code becomes a session at the exchange: the profile's lock is taken and the new
    // store file begun first, so that a session obtained is never one with nowhere to go.
    let mut saving = None;
    if let Some(c) = &chosen {
        let begun = c
            .store
            .lock(&c.name, Duration::from_secs(30))
            .and_then(|lock| {
                let stored = c.store.load(&c.name)?;
                let pending = c.store.begin_save(&lock, stored.as_ref())?;
                Ok((lock, pending))
            });
        match begun {
            Ok(begun) => saving = Some(begun),
            Err(e) => {
                let page = Page::Failed(format!(
                    "The session cannot be saved: {}. The terminal says more.",
                    hints::message(&e)
                ));
                rt.block_on(callback.answer(page));
                return Err(e.into());
            }
        }
    }
    let tokens = match rt.block_on(sign_in.exchange(&callback.code, request_timeout)) {
        Ok(tokens) => tokens,
        Err(e) => {
            let page = Page::Failed(format!(
                "The code from the sign-in could not be exchanged for tokens: {}. The terminal \
                 says more.",
                hints::message(&e)
            ));
            rt.block_on(callback.answer(page));
            return Err(e.into());
        }
    };
    let user = signed_in_as(&tokens);
    let mut done = format!("Signed in{user}.");
    if let (Some(c), Some((lock, pending))) = (&chosen, saving) {
        let saved = tokens
            .refresh_token
            .clone()
            .ok_or_else(|| {
                CoreError::new(ErrorKind::Other, "the sign-in returned no refresh token")
            })
            .and_then(|refresh_token| {
                let mut entry = Entry::new(client_id.clone(), refresh_token);
                entry.update(&tokens);
                entry.rotation = None;
                pending.commit(&entry)
            });
        drop(lock);
        if let Err(e) = saved {
            rt.block_on(callback.answer(Page::Failed(format!(
                "Signed in, but the session could not be saved: {}.",
                hints::message(&e)
            ))));
            return Err(e.into());
        }
        done = format!(
            "Signed in{user}; the session is saved for profile {}.",
            c.name
        );
        log.notice(&format!(
            "signed in through the browser{user}; tokens saved for profile {} in {}",
            c.name,
            c.store.location(&c.name)
        ));
    }
    let pointed = match chosen.as_mut() {
        Some(c) => point_profile_at_domain(c, &domain, log),
        None => Ok(()),
    };
    rt.block_on(callback.answer(Page::SignedIn(format!(
        "{done} You can close this tab and return to the terminal."
    ))));
    pointed?;
    if args.print {
        write_stdout(&output::render_tokens(
            &tokens,
            OutputFormat::Json,
            RefreshApi::OAuth2,
        )?)?;
    }
    Ok(())
}

/// The options of the password flows mean nothing to the hosted UI, which asks for what it
/// needs itself; and the browser's options nothing to the password flows.
pub fn refuse_sign_in_options(args: &LoginArgs) -> Result<()> {
    let browser = args.flow == Flow::Browser;
    let given = |present: bool, flag: &'static str| present.then_some(flag);
    let password_options = [
        given(args.username.username.is_some(), "--username"),
        given(args.password_file.is_some(), "--password-file"),
        given(args.new_password_file.is_some(), "--new-password-file"),
        given(args.mfa_type.is_some(), "--mfa-type"),
        given(args.remember_device, "--remember-device"),
        given(
            !args.metadata.client_metadata.is_empty(),
            "--client-metadata",
        ),
    ];
    let b = &args.browser;
    let browser_options = [
        given(b.domain.is_some(), "--domain"),
        given(b.redirect_uri.is_some(), "--redirect-uri"),
        given(!b.scope.is_empty(), "--scope"),
        given(b.identity_provider.is_some(), "--identity-provider"),
        given(b.no_browser, "--no-browser"),
    ];
    let (unused, why) = match browser {
        true => (
            &password_options[..],
            "with --flow browser, the hosted UI asks for the username, password and codes itself",
        ),
        false => (&browser_options[..], "it belongs to --flow browser"),
    };
    match unused.iter().flatten().next() {
        Some(flag) => {
            Err(CoreError::usage(format!("login: {flag} is not used here: {why}")).into())
        }
        None => Ok(()),
    }
}

/// Says what the listener answered that was not the callback: a warning for what looks like a
/// sign-in's redirect, `-v` only for the rest (a browser asks for /favicon.ico by itself).
fn report(log: &Log, ignored: &Ignored) {
    match ignored {
        Ignored::State => log.warn(
            "a redirect came back without this sign-in's state (an earlier attempt's tab, or \
             not from Cognito): it was refused; still waiting",
        ),
        Ignored::Path(path) if path == "/favicon.ico" => {}
        Ignored::Path(path) => log.warn(&format!(
            "a request for {path} is not the sign-in's redirect: answered 404; still waiting"
        )),
        Ignored::Method(method) => log.info(&format!(
            "a {method} request to the redirect URI: answered 405; still waiting"
        )),
        _ => {}
    }
}

/// The variables that hold secrets: the browser started is not given them.
fn secret_variables(chosen: Option<&Chosen>) -> Vec<String> {
    let mut names: Vec<String> = super::exec::SECRET_VARIABLES
        .iter()
        .map(|s| s.to_string())
        .collect();
    names.extend(
        chosen
            .and_then(Chosen::profile)
            .and_then(|p| p.client_secret_env.clone()),
    );
    names
}

/// ` as NAME`, from the ID token's `cognito:username` or the access token's `username`.
fn signed_in_as(tokens: &cognito_refresh::Tokens) -> String {
    let from = |t: Option<&cognito_refresh::SecretString>, claim: &str| {
        let jwt = cognito_refresh::jwt::decode(t?.expose_secret()).ok()?;
        jwt.claims.0.get(claim)?.as_str().map(str::to_string)
    };
    from(tokens.id_token.as_ref(), "cognito:username")
        .or_else(|| from(Some(&tokens.access_token), "username"))
        .map(|u| format!(" as {u}"))
        .unwrap_or_default()
}

fn minutes(d: Duration) -> String {
    let s = d.as_secs_f64();
    match s {
        60.0 => "1 minute".to_string(),
        _ if s > 60.0 && s % 60.0 == 0.0 => format!("{} minutes", s / 60.0),
        _ => format!("{s} s"),
    }
}

/// Makes the chosen profile refresh through the domain's token endpoint, as its session now
/// needs; says so when it changes the profile.
pub fn point_profile_at_domain(chosen: &mut Chosen, domain: &str, log: &Log) -> Result<()> {
    if chosen.profile().is_none() {
        return Ok(());
    }
    let path = chosen.config.path.clone();
    if config::edit::set_profile_keys(
        &path,
        &chosen.name,
        &[("api", "oauth2"), ("domain", domain)],
    )? {
        log.notice(&format!(
            "profile {} now refreshes at {domain}'s token endpoint (api = \"oauth2\") in {}",
            chosen.name,
            path.display()
        ));
        chosen.config = config::Config::load(&path)?;
    }
    Ok(())
}
