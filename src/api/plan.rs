//! A refresh from start to end: options in, a checked plan, the call, tokens out.

pub use super::connection::Source;
use super::connection::{Connection, Target};
use super::request::RefreshApi;
use super::request::{Admin, RefreshRequest, Via};
use crate::Error;
use crate::builder::{optional_setters, setters};
use crate::endpoint::connect_url;
use crate::jwt::{self, Claims};
use crate::region;
use crate::text::Setting;
use crate::tokens::Note;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// Everything a caller may know about the session to refresh. Only the client id and the
/// refresh token are required; the rest is inferred where it can be.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RefreshOptions {
    pub(crate) client_id: String,
    pub(crate) refresh_token: SecretString,
    pub(crate) client_secret: Option<SecretString>,
    /// The user's real Cognito username, for SECRET_HASH.
    pub(crate) username: Option<String>,
    pub(crate) device_key: Option<String>,
    /// The user pool domain, for [`RefreshApi::OAuth2`]: `https://DOMAIN` or a bare host name.
    pub(crate) domain: Option<String>,
    /// A current or expired access token of the session: username, device key, region.
    pub(crate) access_token: Option<SecretString>,
    /// A current or expired ID token of the session: username, region.
    pub(crate) id_token: Option<SecretString>,
    pub(crate) api: RefreshApi,
    pub(crate) client_metadata: Vec<(String, String)>,
    /// The AWS profile whose credentials sign [`RefreshApi::AdminInitiateAuth`]; `None`: the
    /// standard chain's default.
    pub(crate) aws_profile: Option<String>,
    /// Where Cognito is, and how long to wait for it.
    pub(crate) target: Target,
}

impl RefreshOptions {
    pub fn new(client_id: impl Into<String>, refresh_token: SecretString) -> Self {
        RefreshOptions {
            client_id: client_id.into(),
            refresh_token,
            client_secret: None,
            username: None,
            device_key: None,
            domain: None,
            access_token: None,
            id_token: None,
            api: RefreshApi::default(),
            client_metadata: Vec::new(),
            aws_profile: None,
            target: Target::default(),
        }
    }

    optional_setters! {
        region, set_region: String => target.region;
        /// The user pool id, e.g. eu-west-1_AbC123: gives the region.
        user_pool_id, set_user_pool_id: String => target.user_pool_id;
        /// An endpoint override (an emulator, a private endpoint): https, or http on loopback.
        endpoint_url, set_endpoint_url: String => target.endpoint_url;
        client_secret, set_client_secret: SecretString => client_secret;
        /// The user's real Cognito username, for SECRET_HASH.
        username, set_username: String => username;
        device_key, set_device_key: String => device_key;
        /// The user pool domain, for the token endpoint.
        domain, set_domain: String => domain;
        /// A current or expired access token of the session.
        access_token, set_access_token: SecretString => access_token;
        /// A current or expired ID token of the session.
        id_token, set_id_token: SecretString => id_token;
        /// The AWS profile whose credentials sign AdminInitiateAuth.
        aws_profile, set_aws_profile: String => aws_profile;
    }

    setters! {
        api: RefreshApi => api;
        /// Bounds the whole call, retries included.
        timeout: Duration => target.timeout;
        /// Attempts in all, for throttling, 5xx and network errors.
        max_attempts: u32 => target.max_attempts;
        /// Whether to look for a region in the AWS config file when none is given or inferred.
        use_aws_profile_region: bool => target.use_aws_profile_region;
        /// Keys and values for the user pool's Lambda triggers.
        set_client_metadata: Vec<(String, String)> => client_metadata;
    }

    /// The API the refresh goes through.
    pub fn get_api(&self) -> RefreshApi {
        self.api
    }

    /// The AWS profile whose credentials sign the admin API, when one is named.
    pub fn get_aws_profile(&self) -> Option<&str> {
        self.aws_profile.as_deref()
    }

    /// A key and value for the user pool's Lambda triggers.
    pub fn client_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.client_metadata.push((key.into(), value.into()));
        self
    }
}

/// A checked refresh, ready to run: where to send it, what to send, and what was decided.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Plan {
    pub connection: Connection,
    pub request: RefreshRequest,
    pub notes: Vec<Note>,
}

fn decode_given(token: &Option<SecretString>, what: &str) -> Result<Option<Claims>, Error> {
    token
        .as_ref()
        .map(|t| {
            jwt::decode(t.expose_secret())
                .map(|jwt| jwt.claims)
                .map_err(|e| Error::usage(format!("the {what} given cannot be read: {e}")))
        })
        .transpose()
}

/// Checks the options and works out what they leave open: region, username, device key.
pub async fn plan(options: RefreshOptions) -> Result<Plan, Error> {
    let mut notes = Vec::new();
    let o = options;

    if o.client_id.trim().is_empty() {
        return Err(Error::usage("the app client id is empty"));
    }
    check_refresh_token(o.refresh_token.expose_secret())?;
    if o.client_secret
        .as_ref()
        .is_some_and(|s| s.expose_secret().is_empty())
    {
        return Err(Error::usage("the client secret is empty"));
    }
    let endpoint = o.target.check()?;
    let access = decode_given(&o.access_token, "access token")?;
    let id = decode_given(&o.id_token, "ID token")?;
    let tokens = [(Source::AccessToken, &access), (Source::IdToken, &id)];

    // The client the tokens were issued to: a mismatch is the first cause of "Invalid Refresh Token".
    for (source, claims) in tokens {
        if let Some(token_client) = claims.as_ref().and_then(Claims::client_id)
            && token_client != o.client_id
        {
            notes.push(Note::Warning(format!(
                "the {} was issued to app client {token_client}, not {}: a refresh token works \
                 only with the client that issued it",
                source_noun(source),
                o.client_id
            )));
        }
    }

    // Region: given, else the pool id, else a token's issuer, else the AWS config file.
    let from_tokens = tokens.iter().find_map(|(source, claims)| {
        let iss = claims.as_ref()?.issuer()?;
        Some((region::region_of_issuer(iss)?.to_string(), *source))
    });
    let from_pool = o
        .target
        .user_pool_id
        .as_deref()
        .and_then(region::region_of_pool)
        .map(|r| (r.to_string(), Source::UserPoolId));
    let oauth2 = o.api == RefreshApi::OAuth2;
    // The token endpoint is named by the domain: no region needed.
    let (region, region_source) = o
        .target
        .resolve_region(from_tokens.clone(), oauth2, true)
        .await?
        .unwrap_or((String::new(), Source::Given));
    if !region.is_empty() {
        notes.push(Note::Info(format!("region {region} ({region_source})")));
    }
    for (other, source) in [from_pool, from_tokens].into_iter().flatten() {
        if other != region {
            notes.push(Note::Warning(format!(
                "region {region} ({region_source}) differs from {other} ({source})"
            )));
        }
    }

    // Device key: given, else the access token's device_key claim.
    let device_key = match (&o.device_key, access.as_ref().and_then(Claims::device_key)) {
        (Some(key), _) => Some(key.clone()),
        (None, Some(key)) => {
            notes.push(Note::Info(format!(
                "device key {key} (from the access token's device_key claim)"
            )));
            Some(key.to_string())
        }
        (None, None) => None,
    };
    if let Some(key) = &device_key
        && key.trim().is_empty()
    {
        return Err(Error::usage("the device key is empty"));
    }

    // Username for SECRET_HASH: given, else the access token, else the ID token.
    let token_username = tokens
        .iter()
        .find_map(|(source, c)| Some((c.as_ref()?.username()?.to_string(), *source)));
    let username = match (&o.username, &token_username) {
        (Some(given), token) => {
            if let Some((real, source)) = token
                && real != given
            {
                notes.push(Note::Warning(format!(
                    "username {given:?} differs from {real:?} ({source}): SECRET_HASH needs the \
                     user's real Cognito username, not an email or phone alias"
                )));
            }
            Some((given.clone(), Source::Given))
        }
        (None, token) => token.clone(),
    };
    let needs_username = o.client_secret.is_some() && o.api.sends_secret_hash();
    let username = match (needs_username, username) {
        (true, Some((name, source))) => {
            notes.push(Note::Info(format!(
                "username {name:?} for SECRET_HASH ({source})"
            )));
            Some(name)
        }
        (true, None) => {
            return Err(Error::setting(
                Setting::Username,
                format!(
                    "a client secret was given but no username is known for SECRET_HASH: pass \
                     {} (the user's real Cognito username), or {} or {} to read it from, or \
                     use {} get-tokens, which needs no username",
                    Setting::Username,
                    Setting::AccessToken,
                    Setting::IdToken,
                    Setting::Api
                ),
            ));
        }
        (false, _) => None,
    };

    for (key, _) in &o.client_metadata {
        if key.is_empty() {
            return Err(Error::usage("a client metadata key is empty"));
        }
    }

    let admin = match (o.api, &o.target.user_pool_id) {
        (RefreshApi::AdminInitiateAuth, Some(pool)) => Some(Admin {
            user_pool_id: pool.clone(),
            aws_profile: o.aws_profile.clone(),
        }),
        (RefreshApi::AdminInitiateAuth, None) => {
            return Err(Error::setting(
                Setting::UserPoolId,
                format!(
                    "{} admin-initiate-auth needs the user pool id: pass {} (e.g. \
                     eu-west-1_AbC123)",
                    Setting::Api,
                    Setting::UserPoolId
                ),
            ));
        }
        _ => None,
    };

    let token_url = match (oauth2, o.domain.as_deref()) {
        (true, Some(domain)) => Some(super::oauth2::token_url(domain)?),
        (true, None) => {
            return Err(Error::setting(
                Setting::Domain,
                format!(
                    "{} oauth2 needs the user pool's domain: pass {} https://DOMAIN (the \
                     hosted UI's domain, e.g. myapp.auth.eu-west-1.amazoncognito.com)",
                    Setting::Api,
                    Setting::Domain
                ),
            ));
        }
        (false, _) => None,
    };
    let device_key = match (oauth2, device_key) {
        (true, Some(key)) => {
            notes.push(Note::Warning(format!(
                "the token endpoint takes no device key, so {key} is not sent: in a user pool \
                 with remembered devices, sessions from InitiateAuth refresh through the API \
                 (initiate-auth)"
            )));
            None
        }
        (_, key) => key,
    };
    if oauth2 && !o.client_metadata.is_empty() {
        notes.push(Note::Warning(
            "the token endpoint takes no client metadata: it is not sent".into(),
        ));
    }

    match &token_url {
        Some(url) => notes.push(super::oauth2::note(url)),
        None => notes.push(Note::Info(format!(
            "calling {} at {}",
            o.api.operation(),
            endpoint
                .as_ref()
                .map(|u| u.as_str().trim_end_matches('/').to_string())
                .unwrap_or_else(|| format!("https://cognito-idp.{region}.amazonaws.com"))
        ))),
    }

    let connection = o.target.connect(region, endpoint);
    let url = token_url
        .as_ref()
        .map(connect_url)
        .or_else(|| connection.url());
    notes.extend(url.as_ref().and_then(super::net::proxy_note));
    notes.extend(url.as_ref().and_then(super::roots::note));

    Ok(Plan {
        connection,
        request: RefreshRequest::new(
            o.client_id,
            o.refresh_token,
            o.client_secret,
            match (o.api, token_url) {
                (RefreshApi::OAuth2, Some(token_url)) => Via::TokenEndpoint { token_url },
                (RefreshApi::GetTokens, _) => Via::GetTokens {
                    device_key,
                    client_metadata: o.client_metadata,
                },
                _ => Via::InitiateAuth {
                    username,
                    device_key,
                    client_metadata: o.client_metadata,
                    admin,
                },
            },
        ),
        notes,
    })
}

/// Refuses what cannot be a refresh token, before it is sent anywhere. Messages never quote it.
pub fn check_refresh_token(token: &str) -> Result<(), Error> {
    match crate::refresh_token::flaw(token) {
        None => Ok(()),
        Some(flaw) => Err(Error::setting(Setting::RefreshToken, flaw.message())),
    }
}

fn source_noun(source: Source) -> &'static str {
    match source {
        Source::IdToken => "ID token",
        _ => "access token",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::jwt::tests::token;
    use serde_json::json;

    fn options() -> RefreshOptions {
        let mut o = RefreshOptions::new("client1", SecretString::from("rt"));
        o.target.use_aws_profile_region = false;
        o
    }

    fn run(o: RefreshOptions) -> Result<Plan, Error> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(plan(o))
    }

    fn access(claims: serde_json::Value) -> Option<SecretString> {
        Some(SecretString::from(token(claims)))
    }

    #[test]
    fn region_given_wins_and_disagreement_is_warned() {
        let mut o = options().region("us-east-1");
        o.target.user_pool_id = Some("eu-west-1_Abc".into());
        let p = run(o).unwrap();
        assert_eq!(p.connection.region, "us-east-1");
        assert!(
            p.notes
                .iter()
                .any(|n| matches!(n, Note::Warning(w) if w.contains("eu-west-1")))
        );
    }

    #[test]
    fn region_from_pool_then_token() {
        let mut o = options();
        o.target.user_pool_id = Some("eu-west-1_Abc".into());
        assert_eq!(run(o).unwrap().connection.region, "eu-west-1");

        let mut o = options();
        o.id_token =
            access(json!({"iss": "https://cognito-idp.ap-south-1.amazonaws.com/ap-south-1_X1"}));
        assert_eq!(run(o).unwrap().connection.region, "ap-south-1");
    }

    #[test]
    fn no_region_is_a_usage_error() {
        let e = run(options()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert!(e.to_string().contains("no region"));
    }

    #[test]
    fn malformed_inputs_are_usage_errors() {
        let mut cases = vec![
            options().region("EU_WEST"),
            options()
                .region("eu-west-1")
                .endpoint_url("http://10.1.1.1"),
        ];
        let mut o = options().region("eu-west-1");
        o.target.user_pool_id = Some("nope".into());
        cases.push(o);
        let mut o = options().region("eu-west-1");
        o.access_token = Some(SecretString::from("not-a-jwt"));
        cases.push(o);
        let mut o = options().region("eu-west-1");
        o.target.timeout = Duration::ZERO;
        cases.push(o);
        cases.push(RefreshOptions {
            refresh_token: SecretString::from(""),
            ..options().region("eu-west-1")
        });
        for o in cases {
            assert_eq!(run(o).unwrap_err().kind(), ErrorKind::Usage);
        }
    }

    #[test]
    fn what_cannot_be_a_refresh_token_is_refused() {
        let bad = [
            String::new(),
            "Bearer abc.def".to_string(),
            "\"abc\"".to_string(),
            "'abc'".to_string(),
            "abc\ndef".to_string(),
            "a".repeat(crate::refresh_token::MAX_BYTES + 1),
            token(json!({"token_use": "access"})),
            token(json!({"token_use": "id"})),
        ];
        for t in bad {
            let o = RefreshOptions {
                refresh_token: SecretString::from(t.clone()),
                ..options().region("eu-west-1")
            };
            let e = run(o).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Usage);
            assert!(t.len() < 8 || !e.to_string().contains(&t), "{e}");
        }
        for good in [
            "0b7e5e2a-1d0c-4e39-9b9e-3c8d2f1e4a5b",
            "eyJjdHkiOiJKV1QifQ.a.b.c.d",
            // cognito-local's refresh tokens: JWTs without token_use.
            &token(json!({"cognito:username": "u", "jti": "j"})),
        ] {
            let o = RefreshOptions {
                refresh_token: SecretString::from(good),
                ..options().region("eu-west-1")
            };
            assert!(run(o).is_ok(), "{good}");
        }
    }

    #[test]
    fn username_for_secret_hash() {
        // Given wins.
        let o = options()
            .region("eu-west-1")
            .client_secret(SecretString::from("s"))
            .username("alice");
        assert_eq!(run(o).unwrap().request.username(), Some("alice"));

        // From the access token, else the ID token.
        let mut o = options()
            .region("eu-west-1")
            .client_secret(SecretString::from("s"));
        o.access_token = access(json!({"username": "uuid-1", "client_id": "client1"}));
        o.id_token = access(json!({"cognito:username": "uuid-2", "aud": "client1"}));
        let p = run(o).unwrap();
        assert_eq!(p.request.username(), Some("uuid-1"));
        assert!(
            p.notes
                .iter()
                .any(|n| matches!(n, Note::Info(i) if i.contains("from the access token")))
        );

        let mut o = options()
            .region("eu-west-1")
            .client_secret(SecretString::from("s"));
        o.id_token = access(json!({"cognito:username": "uuid-2"}));
        assert_eq!(run(o).unwrap().request.username(), Some("uuid-2"));

        // None known: the error says so and points at --api get-tokens.
        let e = run(options()
            .region("eu-west-1")
            .client_secret(SecretString::from("s")))
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert!(e.to_string().contains("no username"), "{e}");
        assert!(e.to_string().contains("the refresh API get-tokens"), "{e}");

        // GetTokensFromRefreshToken needs none.
        let o = options()
            .region("eu-west-1")
            .client_secret(SecretString::from("s"))
            .api(RefreshApi::GetTokens);
        let p = run(o).unwrap();
        assert_eq!(p.request.username(), None);
        assert!(p.request.secret_hash().is_none());
    }

    #[test]
    fn alias_username_is_warned() {
        let mut o = options()
            .region("eu-west-1")
            .client_secret(SecretString::from("s"))
            .username("alice@example.com");
        o.access_token = access(json!({"username": "8a6b-uuid"}));
        let p = run(o).unwrap();
        assert_eq!(p.request.username(), Some("alice@example.com"));
        assert!(
            p.notes
                .iter()
                .any(|n| matches!(n, Note::Warning(w) if w.contains("8a6b-uuid")))
        );
    }

    #[test]
    fn device_key_from_access_token() {
        let mut o = options().region("eu-west-1");
        o.access_token = access(json!({"device_key": "eu-west-1_dev1"}));
        assert_eq!(run(o).unwrap().request.device_key(), Some("eu-west-1_dev1"));
        let mut o = options().region("eu-west-1").device_key("given");
        o.access_token = access(json!({"device_key": "eu-west-1_dev1"}));
        assert_eq!(run(o).unwrap().request.device_key(), Some("given"));
    }

    #[test]
    fn client_mismatch_is_warned() {
        let mut o = options().region("eu-west-1");
        o.access_token = access(json!({"client_id": "other"}));
        let p = run(o).unwrap();
        assert!(
            p.notes
                .iter()
                .any(|n| matches!(n, Note::Warning(w) if w.contains("other")))
        );
    }

    #[test]
    fn notes_and_debug_hold_no_secret() {
        let mut o = options()
            .region("eu-west-1")
            .client_secret(SecretString::from("client-secret-xyz"));
        o.refresh_token = SecretString::from("refresh-token-xyz");
        o.username = Some("alice".into());
        let p = run(o).unwrap();
        let all = format!("{p:?} {:?}", p.notes);
        assert!(!all.contains("client-secret-xyz"));
        assert!(!all.contains("refresh-token-xyz"));
        assert!(!all.contains(p.request.secret_hash().unwrap().expose_secret()));
    }
}
