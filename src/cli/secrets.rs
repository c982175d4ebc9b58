//! The secrets the settings name, read when a command needs them (reading may consume standard
//! input, which serves one), with a warning for those given on the command line; and the
//! library's options built from settings and secrets.

use crate::cli::input::{StdinOnce, read_secret};
use crate::cli::log::Log;
use crate::cli::settings::{Chosen, SecretInput, Setting, Settings, Source, value};
use anyhow::Result;
use cognito_refresh::{RefreshOptions, SecretString};

/// The secrets of a command, read.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    pub refresh_token: Option<SecretString>,
    pub client_secret: Option<SecretString>,
    /// Tokens of the session given on the command line, read.
    pub access_token: Option<SecretString>,
    pub id_token: Option<SecretString>,
}

impl Settings {
    /// Secrets given as flags are visible to other local users (`ps`): say so.
    pub fn warn_secrets_on_command_line(&self, log: &Log) {
        for (setting, flag, env) in [
            (
                &self.refresh_token,
                "--refresh-token",
                Some("COGNITO_REFRESH_TOKEN"),
            ),
            (
                &self.client_secret,
                "--client-secret",
                Some("COGNITO_CLIENT_SECRET"),
            ),
            (&self.access_token, "--access-token", None),
            (&self.id_token, "--id-token", None),
        ] {
            if let Some(Setting {
                value: SecretInput::Value(_),
                source: Source::Flag,
            }) = setting
            {
                let prefer = match env {
                    Some(env) => format!("{env} or {flag}-file"),
                    None => format!("{flag}-file (- for standard input)"),
                };
                log.warn(&format!(
                    "{flag} on the command line can be read by other local users; prefer {prefer}"
                ));
            }
        }
    }

    /// The tokens of the session given on the command line, read (from their files, standard
    /// input or their values), trimmed: the access token, then the ID token.
    pub fn read_session_tokens(
        &self,
        stdin: &mut StdinOnce,
    ) -> Result<(Option<SecretString>, Option<SecretString>)> {
        let given = |s: &Option<Setting<SecretInput>>| {
            s.as_ref().filter(|s| s.source == Source::Flag).cloned()
        };
        let access = read_input(
            given(&self.access_token).as_ref(),
            "access token",
            None,
            stdin,
        )?;
        let id = read_input(given(&self.id_token).as_ref(), "ID token", None, stdin)?;
        Ok((access, id))
    }

    /// The refresh token, read (from its file, standard input or its value), trimmed.
    pub fn read_refresh_token(&self, stdin: &mut StdinOnce) -> Result<Option<SecretString>> {
        read_input(self.refresh_token.as_ref(), "refresh token", None, stdin)
    }

    /// Warns about secrets on the command line, then reads them: standard input serves one.
    pub fn read_secrets(&self, chosen: Option<&Chosen>, log: &Log) -> Result<Secrets> {
        self.warn_secrets_on_command_line(log);
        let mut stdin = StdinOnce::default();
        let refresh_token = self.read_refresh_token(&mut stdin)?;
        let client_secret = read_input(
            self.client_secret.as_ref(),
            "client secret",
            chosen,
            &mut stdin,
        )?;
        let (access_token, id_token) = self.read_session_tokens(&mut stdin)?;
        Ok(Secrets {
            refresh_token,
            client_secret,
            access_token,
            id_token,
        })
    }

    /// The library's options for a refresh with this refresh token.
    pub fn options(
        &self,
        refresh_token: SecretString,
        secrets: &Secrets,
    ) -> Result<RefreshOptions> {
        Ok(
            RefreshOptions::new(self.require_client_id()?, refresh_token)
                .set_client_secret(secrets.client_secret.clone())
                .set_username(value(&self.username))
                .set_device_key(value(&self.device_key))
                .set_region(value(&self.region))
                .set_user_pool_id(value(&self.user_pool_id))
                .set_endpoint_url(value(&self.endpoint_url))
                .set_domain(value(&self.domain))
                .set_access_token(session_token(&self.access_token, &secrets.access_token))
                .set_id_token(session_token(&self.id_token, &secrets.id_token))
                .set_client_metadata(self.client_metadata.clone())
                .set_aws_profile(value(&self.aws_profile))
                .api(self.api.value)
                .timeout(self.timeout.value)
                .max_attempts(3)
                .use_aws_profile_region(true),
        )
    }
}

/// A token of the session: the one given, as read, else the stored one.
fn session_token(
    input: &Option<Setting<SecretInput>>,
    read: &Option<SecretString>,
) -> Option<SecretString> {
    read.clone().or_else(|| match input {
        Some(Setting {
            value: SecretInput::Value(stored),
            source: Source::Stored,
        }) => Some(stored.clone()),
        _ => None,
    })
}

/// A secret read from where the settings say.
fn read_input(
    input: Option<&Setting<SecretInput>>,
    what: &'static str,
    chosen: Option<&Chosen>,
    stdin: &mut StdinOnce,
) -> Result<Option<SecretString>> {
    match input.map(|s| &s.value) {
        None => Ok(None),
        Some(SecretInput::File(path)) => read_secret(Some(path), None, what, stdin),
        Some(SecretInput::Value(v)) => read_secret(None, Some(v.clone()), what, stdin),
        Some(SecretInput::Profile) => match chosen {
            Some(chosen) => chosen.client_secret(),
            None => Ok(None),
        },
    }
}
