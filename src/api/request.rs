//! A refresh as it will be sent: the session's client, refresh token and secret, and, per API,
//! what that API takes besides them.

use crate::secret_hash::secret_hash;
use secrecy::SecretString;
use url::Url;

/// Which Cognito API refreshes the tokens. In config files: `initiate-auth`, `get-tokens`,
/// `oauth2` or `admin-initiate-auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RefreshApi {
    /// `InitiateAuth` with `REFRESH_TOKEN_AUTH`, `SECRET_HASH` and `DEVICE_KEY`. Never rotates.
    #[default]
    InitiateAuth,
    /// `GetTokensFromRefreshToken`, with the raw client secret. The only way for app clients
    /// with refresh token rotation; returns a new refresh token when rotation is on.
    GetTokens,
    /// The user pool domain's OAuth2 token endpoint (`/oauth2/token`), for sessions from the
    /// hosted UI or a federated provider. Needs the domain; returns a new refresh token when
    /// rotation is on.
    #[serde(rename = "oauth2")]
    OAuth2,
    /// `AdminInitiateAuth` with `REFRESH_TOKEN_AUTH`: as InitiateAuth, plus the user pool id,
    /// signed with AWS credentials (`cognito-idp:AdminInitiateAuth`). For backends.
    AdminInitiateAuth,
}

impl RefreshApi {
    /// The name of the `--api` value and of the config file's `api` key.
    pub fn name(self) -> &'static str {
        match self {
            RefreshApi::InitiateAuth => "initiate-auth",
            RefreshApi::GetTokens => "get-tokens",
            RefreshApi::OAuth2 => "oauth2",
            RefreshApi::AdminInitiateAuth => "admin-initiate-auth",
        }
    }

    /// The operation's name in Cognito's API.
    pub fn operation(self) -> &'static str {
        match self {
            RefreshApi::InitiateAuth => "InitiateAuth",
            RefreshApi::GetTokens => "GetTokensFromRefreshToken",
            RefreshApi::OAuth2 => "the OAuth2 token endpoint",
            RefreshApi::AdminInitiateAuth => "AdminInitiateAuth",
        }
    }

    /// Whether SECRET_HASH goes with the refresh (computed with the username): InitiateAuth
    /// and AdminInitiateAuth.
    pub fn sends_secret_hash(self) -> bool {
        matches!(
            self,
            RefreshApi::InitiateAuth | RefreshApi::AdminInitiateAuth
        )
    }
}

/// Key-value pairs for the user pool's Lambda triggers.
pub type Metadata = Vec<(String, String)>;

/// Which API a refresh goes through, with what only that API takes. No variant holds what its
/// API does not send: the token endpoint takes no device key and no client metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Via {
    /// `InitiateAuth` with `REFRESH_TOKEN_AUTH`: SECRET_HASH (computed with `username` when the
    /// client has a secret), `DEVICE_KEY`, client metadata. With `admin`, `AdminInitiateAuth`
    /// with the same parameters, the user pool id, and an AWS signature.
    InitiateAuth {
        /// The username SECRET_HASH is computed with (only with a client secret).
        username: Option<String>,
        device_key: Option<String>,
        client_metadata: Vec<(String, String)>,
        admin: Option<Admin>,
    },
    /// `GetTokensFromRefreshToken`: the raw client secret, `DeviceKey`, client metadata.
    GetTokens {
        device_key: Option<String>,
        client_metadata: Vec<(String, String)>,
    },
    /// `POST /oauth2/token` at the user pool domain: the client secret as HTTP Basic.
    TokenEndpoint { token_url: Url },
}

/// What `AdminInitiateAuth` takes besides InitiateAuth's parameters: the user pool, and whose
/// AWS credentials sign the call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Admin {
    pub user_pool_id: String,
    /// The AWS profile whose credentials sign; `None`: the standard chain's default.
    pub aws_profile: Option<String>,
}

/// The request as it will be sent.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RefreshRequest {
    pub client_id: String,
    pub refresh_token: SecretString,
    pub client_secret: Option<SecretString>,
    pub via: Via,
}

impl RefreshRequest {
    pub fn new(
        client_id: impl Into<String>,
        refresh_token: SecretString,
        client_secret: Option<SecretString>,
        via: Via,
    ) -> Self {
        RefreshRequest {
            client_id: client_id.into(),
            refresh_token,
            client_secret,
            via,
        }
    }

    /// The API the request goes through.
    pub fn api(&self) -> RefreshApi {
        match self.via {
            Via::InitiateAuth { admin: None, .. } => RefreshApi::InitiateAuth,
            Via::InitiateAuth { admin: Some(_), .. } => RefreshApi::AdminInitiateAuth,
            Via::GetTokens { .. } => RefreshApi::GetTokens,
            Via::TokenEndpoint { .. } => RefreshApi::OAuth2,
        }
    }

    /// The device key sent, if any.
    pub fn device_key(&self) -> Option<&str> {
        match &self.via {
            Via::InitiateAuth { device_key, .. } | Via::GetTokens { device_key, .. } => {
                device_key.as_deref()
            }
            Via::TokenEndpoint { .. } => None,
        }
    }

    /// The username SECRET_HASH is computed with, if any.
    pub fn username(&self) -> Option<&str> {
        match &self.via {
            Via::InitiateAuth { username, .. } => username.as_deref(),
            _ => None,
        }
    }

    /// What AdminInitiateAuth takes besides InitiateAuth's parameters, for that API.
    pub fn admin(&self) -> Option<&Admin> {
        match &self.via {
            Via::InitiateAuth { admin, .. } => admin.as_ref(),
            _ => None,
        }
    }

    /// SECRET_HASH, for (Admin)InitiateAuth with a client secret.
    pub fn secret_hash(&self) -> Option<SecretString> {
        match (&self.client_secret, self.username()) {
            (Some(secret), Some(username)) => Some(secret_hash(secret, username, &self.client_id)),
            _ => None,
        }
    }

    /// The same request with another device key (the token endpoint takes none).
    pub fn with_device_key(&self, key: Option<String>) -> Self {
        let mut r = self.clone();
        if let Via::InitiateAuth { device_key, .. } | Via::GetTokens { device_key, .. } = &mut r.via
        {
            *device_key = key;
        }
        r
    }

    /// The same request with SECRET_HASH computed for another username ((Admin)InitiateAuth
    /// only).
    pub fn with_username(&self, name: Option<String>) -> Self {
        let mut r = self.clone();
        if let Via::InitiateAuth { username, .. } = &mut r.via {
            *username = name;
        }
        r
    }

    /// The same session through GetTokensFromRefreshToken, keeping the device key and client
    /// metadata; `None` for a request to the token endpoint, which has neither.
    pub fn through_get_tokens(&self) -> Option<Self> {
        let (device_key, client_metadata) = self.sdk_parts()?;
        Some(RefreshRequest {
            via: Via::GetTokens {
                device_key,
                client_metadata,
            },
            ..self.clone()
        })
    }

    /// The same session through InitiateAuth (AdminInitiateAuth when it was), with
    /// SECRET_HASH computed for `username`.
    pub fn through_initiate_auth(&self, username: Option<String>) -> Option<Self> {
        let (device_key, client_metadata) = self.sdk_parts()?;
        Some(RefreshRequest {
            via: Via::InitiateAuth {
                username,
                device_key,
                client_metadata,
                admin: self.admin().cloned(),
            },
            ..self.clone()
        })
    }

    fn sdk_parts(&self) -> Option<(Option<String>, Metadata)> {
        match &self.via {
            Via::InitiateAuth {
                device_key,
                client_metadata,
                ..
            }
            | Via::GetTokens {
                device_key,
                client_metadata,
            } => Some((device_key.clone(), client_metadata.clone())),
            Via::TokenEndpoint { .. } => None,
        }
    }
}

/// A request of client `client1` through the SDK's `api`, for tests: with the secret `secret`
/// when given, SECRET_HASH for `username` (InitiateAuth), and `device`.
#[cfg(test)]
pub(crate) fn for_tests(
    api: RefreshApi,
    refresh_token: &str,
    secret: Option<&str>,
    username: Option<&str>,
    device: Option<&str>,
) -> RefreshRequest {
    let device_key = device.map(str::to_string);
    RefreshRequest::new(
        "client1",
        SecretString::from(refresh_token),
        secret.map(SecretString::from),
        match api {
            RefreshApi::GetTokens => Via::GetTokens {
                device_key,
                client_metadata: Vec::new(),
            },
            _ => Via::InitiateAuth {
                username: username.map(str::to_string),
                device_key,
                client_metadata: Vec::new(),
                admin: (api == RefreshApi::AdminInitiateAuth).then(|| Admin {
                    user_pool_id: "eu-west-1_pool".into(),
                    aws_profile: None,
                }),
            },
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn initiate_auth() -> RefreshRequest {
        RefreshRequest::new(
            "client1",
            SecretString::from("rt"),
            Some(SecretString::from("secret")),
            Via::InitiateAuth {
                username: Some("alice".into()),
                device_key: Some("dev".into()),
                client_metadata: vec![("k".into(), "v".into())],
                admin: None,
            },
        )
    }

    #[test]
    fn secret_hash_only_for_initiate_auth_with_a_username() {
        let r = initiate_auth();
        assert_eq!(r.api(), RefreshApi::InitiateAuth);
        assert!(r.secret_hash().is_some());
        let g = r.through_get_tokens().unwrap();
        assert_eq!(g.api(), RefreshApi::GetTokens);
        assert_eq!(g.secret_hash().map(|s| s.expose_secret().len()), None);
        assert_eq!(g.device_key(), Some("dev"));
        assert_eq!(
            g.through_initiate_auth(None).unwrap().username(),
            None,
            "no username, no SECRET_HASH"
        );
    }

    #[test]
    fn the_token_endpoint_takes_no_device_key() {
        let r = RefreshRequest::new(
            "client1",
            SecretString::from("rt"),
            None,
            Via::TokenEndpoint {
                token_url: Url::parse("https://auth.example.com/oauth2/token").unwrap(),
            },
        );
        assert_eq!(r.api(), RefreshApi::OAuth2);
        assert_eq!(r.with_device_key(Some("dev".into())).device_key(), None);
        assert!(r.through_get_tokens().is_none());
        assert!(r.with_username(Some("u".into())).username().is_none());
    }
}
