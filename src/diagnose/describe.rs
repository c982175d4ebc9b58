//! Reading the app client's and user pool's settings with DescribeUserPoolClient and
//! DescribeUserPool.
//!
//! Unlike the refresh calls these need AWS credentials: they come from the standard AWS
//! credential chain (environment, shared config and credentials files with an optional profile,
//! SSO, web identity, container and instance metadata), built only when inspecting is asked for.
//! The client's secret, which DescribeUserPoolClient returns, is only compared with the one
//! given, then dropped.

use super::found::{
    ClientSettings, DESCRIBE_CLIENT, DESCRIBE_POOL, Devices, Found, Inspect, PoolSettings,
    Unavailable,
};
use super::given::DEFAULT_REFRESH_VALIDITY;
use crate::api::classify::chain;
use crate::api::connection::Connection;
use aws_sdk_cognitoidentityprovider::config::http::HttpResponse;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{FeatureType, TimeUnitsType, UserPoolClientType};
use secrecy::{ExposeSecret, SecretString};

/// Reads the app client's and the user pool's settings.
pub(crate) async fn fetch(
    connection: &Connection,
    how: &Inspect,
    client_id: &str,
    pool_id: Option<String>,
    secret: Option<&SecretString>,
) -> Found {
    let Some(pool_id) = pool_id else {
        return Found {
            pool_id: None,
            client: Err(Unavailable::NoPool),
            pool: Err(Unavailable::NoPool),
        };
    };
    let sdk = connection.signed_client(how.aws_profile.as_deref()).await;
    let client = sdk
        .describe_user_pool_client()
        .user_pool_id(&pool_id)
        .client_id(client_id)
        .send()
        .await
        .map_err(|e| unavailable(DESCRIBE_CLIENT, e))
        .and_then(|out| {
            out.user_pool_client
                .map(|c| client_settings(&c, secret))
                .ok_or_else(|| Unavailable::Failed {
                    action: DESCRIBE_CLIENT,
                    message: "the answer holds no UserPoolClient".into(),
                })
        });
    // Without credentials the second call would only search the chain again.
    let pool = match &client {
        Err(Unavailable::Credentials { message, .. }) => Err(Unavailable::Credentials {
            action: DESCRIBE_POOL,
            message: message.clone(),
        }),
        _ => sdk
            .describe_user_pool()
            .user_pool_id(&pool_id)
            .send()
            .await
            .map_err(|e| unavailable(DESCRIBE_POOL, e))
            .and_then(|out| {
                out.user_pool
                    .map(|p| PoolSettings {
                        devices: p.device_configuration().map(|d| Devices {
                            challenge_required_on_new_device: d.challenge_required_on_new_device(),
                            device_only_remembered_on_user_prompt: d
                                .device_only_remembered_on_user_prompt(),
                        }),
                    })
                    .ok_or_else(|| Unavailable::Failed {
                        action: DESCRIBE_POOL,
                        message: "the answer holds no UserPool".into(),
                    })
            }),
    };
    Found {
        pool_id: Some(pool_id),
        client,
        pool,
    }
}

fn client_settings(c: &UserPoolClientType, secret: Option<&SecretString>) -> ClientSettings {
    let has_secret = c.client_secret().is_some_and(|s| !s.is_empty());
    let secret_matches = match (c.client_secret(), secret) {
        (Some(theirs), Some(ours)) if !theirs.is_empty() => Some(theirs == ours.expose_secret()),
        _ => None,
    };
    let unit = match c.token_validity_units().and_then(|u| u.refresh_token()) {
        Some(TimeUnitsType::Seconds) => 1,
        Some(TimeUnitsType::Minutes) => 60,
        Some(TimeUnitsType::Hours) => 3_600,
        _ => 86_400,
    };
    let validity = match i64::from(c.refresh_token_validity()) {
        0 => DEFAULT_REFRESH_VALIDITY,
        n => n * unit,
    };
    ClientSettings {
        has_secret,
        secret_matches,
        auth_flows: c
            .explicit_auth_flows()
            .iter()
            .map(|f| f.as_str().to_string())
            .collect(),
        rotation: c
            .refresh_token_rotation()
            .filter(|r| *r.feature() == FeatureType::Enabled)
            .map(|r| r.retry_grace_period_seconds().unwrap_or(0)),
        refresh_validity: validity,
        revocation: c.enable_token_revocation(),
    }
}

/// Sorts a failed describe call into what it means for the user.
fn unavailable<E>(action: &'static str, err: SdkError<E, HttpResponse>) -> Unavailable
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let SdkError::ServiceError(service) = &err
        && let Some(code) = service.err().code()
    {
        let message = format!("{code}: {}", service.err().message().unwrap_or(""));
        return match code {
            "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" => {
                Unavailable::Denied { action, message }
            }
            "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "ExpiredTokenException"
            | "InvalidClientTokenId"
            | "MissingAuthenticationTokenException" => Unavailable::Credentials { action, message },
            "ResourceNotFoundException" => Unavailable::NotFound { action, message },
            _ => Unavailable::Failed { action, message },
        };
    }
    // The credential chain explains itself over several lines: one line is enough here.
    let message = chain(&err).split_whitespace().collect::<Vec<_>>().join(" ");
    if message.to_ascii_lowercase().contains("credential") {
        Unavailable::Credentials { action, message }
    } else {
        Unavailable::Failed { action, message }
    }
}
