//! AWS credentials of a profile's user from an identity pool, shared by `aws-credentials` and
//! `exec --aws-credentials`: from the store when they are fresh enough, else fetched under the
//! profile's lock (the user's tokens refreshed first when the ID token is about to expire).

use crate::cli::args::FreshnessArgs;
use crate::cli::ctx::Ctx;
use crate::cli::profile::{check_client, lock_wait, refresh_entry, unknown};
use crate::cli::settings::{Chosen, Setting, Settings, value};
use anyhow::Result;
use cognito_refresh::identity::{self, IdentityRequest};
use cognito_refresh::store::{AwsEntry, CredentialsOutcome, CredentialsPolicy, fresh_credentials};
use cognito_refresh::tokens::{now_unix, rfc3339};
use cognito_refresh::{Error as CoreError, ErrorKind};

/// The profile's AWS credentials, valid for --min-ttl more, and saved in the store.
pub fn fresh_aws(
    ctx: &Ctx,
    chosen: &Chosen,
    settings: &Settings,
    freshness: &FreshnessArgs,
) -> Result<AwsEntry> {
    let pool = value(&settings.identity_pool_id).ok_or_else(|| {
        CoreError::setting(
            cognito_refresh::Setting::IdentityPoolId,
            "no identity pool: pass --identity-pool-id ID (or set COGNITO_IDENTITY_POOL_ID), or \
             identity_pool_id in the profile",
        )
    })?;
    if chosen.profile().is_none() && chosen.store.load(&chosen.name)?.is_none() {
        return Err(unknown(chosen).into());
    }
    let role = value(&settings.role_arn);
    let expected = value(&settings.client_id);
    let policy = CredentialsPolicy::new(
        pool.clone(),
        role.clone(),
        freshness.min_ttl,
        lock_wait(settings.timeout.value),
    )
    .force(freshness.force);
    let refresh = |entry: &_| {
        check_client(entry, expected.as_deref(), chosen)?;
        let secrets = settings.read_secrets(Some(chosen), &ctx.log)?;
        refresh_entry(ctx, settings, &secrets, entry, &chosen.name)
    };
    let fetch = |entry: &cognito_refresh::Entry| -> Result<AwsEntry> {
        check_client(entry, expected.as_deref(), chosen)?;
        let id_token = entry.id_token.as_ref().ok_or_else(|| {
            CoreError::new(
                ErrorKind::Other,
                format!(
                    "profile {} has no ID token stored: the identity pool needs one",
                    chosen.name
                ),
            )
        })?;
        let login = identity::login_of(id_token)?;
        // The identity id GetId gave before serves again for the same pool and user.
        let known = entry
            .aws
            .as_ref()
            .filter(|a| a.identity_pool_id == pool && a.subject == login.subject)
            .map(|a| a.identity_id.clone());
        let mut request = IdentityRequest::new(pool.clone());
        request.role_arn = role.clone();
        request.identity_id = known;
        request.endpoint_url = value(&settings.identity_endpoint_url);
        request.timeout = settings.timeout.value;
        ctx.log
            .info(&describe(settings, &request, &login.provider, &chosen.name));
        let identity = ctx
            .runtime()?
            .block_on(identity::credentials(&request, id_token))?;
        ctx.log.info(&format!(
            "identity {} ({}); credentials for access key {} from {}",
            identity.identity_id,
            match identity.asked_get_id {
                true => "from GetId",
                false => "kept in the store",
            },
            identity.credentials.access_key_id,
            identity.endpoint,
        ));
        if let Some(id) = &identity.request_id {
            ctx.log.info(&format!("the answer's request id: {id}"));
        }
        Ok(AwsEntry::new(
            pool.clone(),
            identity.identity_id,
            login.subject,
            role.clone(),
            identity.credentials,
        ))
    };
    let (entry, outcome) = fresh_credentials(&chosen.store, &chosen.name, &policy, refresh, fetch)?;
    let aws = entry
        .aws
        .ok_or_else(|| CoreError::new(ErrorKind::Other, "no AWS credentials were stored"))?;
    report(ctx, chosen, &aws, &outcome, freshness);
    Ok(aws)
}

/// One line for `-v`: the identity pool, the role, the login and where the calls go, and
/// where each came from. Never a secret, nor the endpoint itself (a URL may hold a password).
fn describe(
    settings: &Settings,
    request: &IdentityRequest,
    provider: &str,
    profile: &str,
) -> String {
    let from = |s: &Option<Setting<String>>| {
        s.as_ref()
            .map(|s| s.source.describe(Some(profile)))
            .unwrap_or_default()
    };
    let mut parts = vec![format!(
        "identity pool {} ({})",
        request.identity_pool_id,
        from(&settings.identity_pool_id)
    )];
    if let Some(role) = &request.role_arn {
        parts.push(format!("role {role} ({})", from(&settings.role_arn)));
    }
    parts.push(format!("login {provider} (the stored ID token)"));
    if settings.identity_endpoint_url.is_some() {
        parts.push(format!(
            "endpoint from {}",
            from(&settings.identity_endpoint_url)
        ));
    }
    format!("identity pool settings: {}", parts.join(", "))
}

/// Says (with -v) where the credentials came from, and warns when even new ones expire
/// sooner than --min-ttl.
fn report(
    ctx: &Ctx,
    chosen: &Chosen,
    aws: &AwsEntry,
    outcome: &CredentialsOutcome,
    freshness: &FreshnessArgs,
) {
    let until = rfc3339(aws.credentials.expiration).unwrap_or_else(|_| "an unknown time".into());
    let how = match outcome {
        CredentialsOutcome::Cached => "from the store (no request)",
        CredentialsOutcome::FetchedByAnother => {
            "from the store, fetched by another process (no request)"
        }
        CredentialsOutcome::Fetched { tokens: Some(_) } => {
            "fetched from the identity pool after refreshing the user's tokens, and stored"
        }
        _ => "fetched from the identity pool, and stored",
    };
    ctx.log.info(&format!(
        "profile {}: AWS credentials {how}, valid until {until} ({})",
        chosen.name,
        chosen.store.location(&chosen.name)
    ));
    let min = i64::try_from(freshness.min_ttl.as_secs()).unwrap_or(i64::MAX);
    if matches!(outcome, CredentialsOutcome::Fetched { .. })
        && aws.credentials.expiration.saturating_sub(now_unix()) < min
    {
        ctx.log.warn(&format!(
            "the new AWS credentials are valid until {until}, less than --min-ttl {} s from \
             now: every call will fetch new ones; lower --min-ttl",
            freshness.min_ttl.as_secs()
        ));
    }
}
