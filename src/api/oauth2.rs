//! Refresh through the user pool domain's OAuth2 token endpoint (`POST /oauth2/token`,
//! `grant_type=refresh_token`), for sessions that began in the hosted UI (managed login) or
//! with a federated provider.
//!
//! The request and its answers are the `oauth2` crate's (RFC 6749: the client secret as HTTP
//! Basic, `client_secret_basic`; the client id in the form when there is no secret). Its own
//! HTTP client (reqwest) is left out: requests go through the AWS SDK's HTTP client, so the
//! tool keeps one HTTP and TLS stack (hyper 1 + rustls).

use super::classify::error_chain;
use super::http::{TooLarge, cap, is_too_large};
use super::net::proxy_for;
use crate::endpoint::connect_url;
use crate::error::{Endpoint, Operation, Reason, Refusal, Sent};
use crate::tokens::{Note, Tokens, now_unix};
use crate::{Error, ErrorKind};
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::http::HttpConnectorSettings;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AsyncHttpClient, Client, ClientId, ClientSecret, EndpointNotSet, EndpointSet, ExtraTokenFields,
    HttpRequest, HttpResponse, RefreshToken, RequestTokenError, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;
use url::Url;

/// The token endpoint of a user pool domain: `https://DOMAIN/oauth2/token`. A bare host name
/// gets `https://`; a URL that already ends in `/oauth2/token` is kept. `http://` only on
/// loopback (an emulator).
pub fn token_url(domain: &str) -> Result<Url, Error> {
    let domain = domain.trim();
    if domain.is_empty() {
        return Err(Error::usage("the domain is empty"));
    }
    let raw = if domain.contains("://") {
        domain.to_string()
    } else {
        format!("https://{domain}")
    };
    let mut url = crate::endpoint::parse_endpoint(&raw)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::usage(format!(
            "invalid domain {domain:?}: expected https://DOMAIN, without a query or fragment"
        )));
    }
    let path = url.path().trim_end_matches('/').to_string();
    if !path.ends_with("/oauth2/token") {
        url.set_path(&format!("{path}/oauth2/token"));
    }
    Ok(url)
}

/// The ID token, which Cognito's token endpoint returns beside the standard fields.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct IdToken {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

impl fmt::Debug for IdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdToken(..)")
    }
}

impl ExtraTokenFields for IdToken {}

pub(crate) type TokenResponseWithId = StandardTokenResponse<IdToken, BasicTokenType>;
pub(crate) type TokenClient = Client<
    BasicErrorResponse,
    TokenResponseWithId,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// A refresh at the token endpoint.
#[derive(Debug, Clone)]
pub struct OAuth2Request<'a> {
    pub token_url: &'a Url,
    pub client_id: &'a str,
    pub client_secret: Option<&'a SecretString>,
    pub refresh_token: &'a SecretString,
    /// Bounds the whole call, retries included.
    pub timeout: Duration,
    /// Attempts in all: network errors, throttling and server errors are retried.
    pub max_attempts: u32,
}

/// Refreshes at the token endpoint and returns the tokens; a rotated refresh token comes back
/// in [`Tokens::refresh_token`].
pub async fn refresh(request: &OAuth2Request<'_>) -> Result<Tokens, Error> {
    let call = Call {
        token_url: request.token_url,
        client_id: request.client_id,
        client_secret: request.client_secret,
        secrets: vec![request.refresh_token.expose_secret()],
        timeout: request.timeout,
        max_attempts: request.max_attempts,
    };
    let client = call.client();
    let refresh_token = RefreshToken::new(request.refresh_token.expose_secret().to_string());
    let (response, request_id) = call
        .with_retries(async |http| {
            let mut exchange = client.exchange_refresh_token(&refresh_token);
            if request.client_secret.is_some() {
                // With HTTP Basic the crate leaves client_id out of the form; Cognito's own
                // examples send it in both, and emulators read only the form.
                exchange = exchange.add_extra_param("client_id", request.client_id);
            }
            exchange.request_async(http).await
        })
        .await?;
    Ok(Tokens {
        request_id,
        ..tokens(&response)
    })
}

/// An access token for the app client itself (`grant_type=client_credentials`, the client
/// authenticated by HTTP Basic): the tokens, and the scopes granted as the answer names them.
pub(crate) async fn client_credentials(
    call: &Call<'_>,
    scopes: &[String],
) -> Result<(Tokens, Option<String>), Error> {
    let client = call.client();
    let (response, request_id) = call
        .with_retries(async |http| {
            client
                .exchange_client_credentials()
                .add_scopes(scopes.iter().map(|s| Scope::new(s.clone())))
                .request_async(http)
                .await
        })
        .await?;
    let granted = response.scopes().map(|granted| {
        granted
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    });
    let tokens = Tokens {
        request_id,
        ..tokens(&response)
    };
    Ok((tokens, granted))
}

/// A client of the token endpoint at `token_url`, with the client secret when there is one.
pub(crate) fn token_client(
    token_url: &Url,
    client_id: &str,
    client_secret: Option<&SecretString>,
) -> TokenClient {
    let client: TokenClient = Client::new(ClientId::new(client_id.to_string()))
        .set_token_uri(TokenUrl::from_url(connect_url(token_url)));
    match client_secret {
        Some(secret) => {
            client.set_client_secret(ClientSecret::new(secret.expose_secret().to_string()))
        }
        None => client,
    }
}

/// One call to a token endpoint: where, as which client, and what must never come back.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub token_url: &'a Url,
    pub client_id: &'a str,
    pub client_secret: Option<&'a SecretString>,
    /// Secrets sent besides the client secret, removed from anything that comes back.
    pub secrets: Vec<&'a str>,
    /// Bounds the whole call, retries included.
    pub timeout: Duration,
    /// Attempts in all: network errors, throttling and server errors are retried.
    pub max_attempts: u32,
}

impl Call<'_> {
    fn client(&self) -> TokenClient {
        token_client(self.token_url, self.client_id, self.client_secret)
    }

    fn endpoint(&self) -> Endpoint {
        Endpoint {
            operation: Operation::TokenEndpoint,
            url: self.token_url.to_string(),
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or the attempts are spent, within
    /// the timeout; network errors, throttling and server errors are retried with backoff.
    /// Returns its answer and the request id that came with it.
    async fn with_retries<T>(
        &self,
        attempt: impl AsyncFn(&Http) -> Result<T, RequestTokenError<HttpError, BasicErrorResponse>>,
    ) -> Result<(T, Option<String>), Error> {
        let http = Http::new(self.timeout, &connect_url(self.token_url));
        let attempts = self.max_attempts.max(1);
        let call = async {
            let mut backoff = Duration::from_millis(200);
            let mut n = 1;
            loop {
                match attempt(&http).await {
                    Ok(value) => return Ok((value, http.last_request_id())),
                    Err(e) => {
                        let error = classify(e, http.last_status(), http.last_request_id(), self);
                        if error.kind() != ErrorKind::Transient || n >= attempts {
                            return Err(error);
                        }
                    }
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                n += 1;
            }
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                endpoint: self.endpoint(),
                seconds: self.timeout.as_secs_f64(),
            }),
        }
    }
}

pub(crate) fn tokens(response: &TokenResponseWithId) -> Tokens {
    Tokens {
        access_token: SecretString::from(response.access_token().secret().clone()),
        id_token: response
            .extra_fields()
            .id_token
            .clone()
            .filter(|t| !t.is_empty())
            .map(SecretString::from),
        token_type: Some("Bearer".to_string()),
        expires_in: response
            .expires_in()
            .and_then(|d| i64::try_from(d.as_secs()).ok())
            .filter(|s| *s > 0),
        refresh_token: response
            .refresh_token()
            .map(|t| t.secret().clone())
            .filter(|t| !t.is_empty())
            .map(SecretString::from),
        new_device: None,
        received_at: now_unix(),
        request_id: None,
    }
}

/// The token endpoint's `{"error": ...}` and other failures, classified. Nothing the server
/// sent besides the error code and description is quoted: a body that is not an error response
/// may hold tokens.
pub(crate) fn classify(
    e: RequestTokenError<HttpError, BasicErrorResponse>,
    status: Option<u16>,
    request_id: Option<String>,
    request: &Call<'_>,
) -> Error {
    let mut secrets = request.secrets.clone();
    secrets.extend(request.client_secret.map(|s| s.expose_secret()));
    let scrub = |text: &str| super::classify::scrub(text, secrets.iter().copied());
    let endpoint = request.endpoint();
    let unexpected = |detail: String| Error::Unexpected {
        endpoint: endpoint.clone(),
        status,
        detail,
        attempts: request.max_attempts,
        request_id: request_id.clone(),
    };
    match e {
        RequestTokenError::ServerResponse(r) => {
            let reason = match r.error() {
                _ if status == Some(429) => Reason::Throttled,
                _ if status.is_some_and(|s| s >= 500) => Reason::ServerError,
                BasicErrorResponseType::InvalidGrant => Reason::InvalidGrant,
                BasicErrorResponseType::InvalidClient => Reason::InvalidClient,
                BasicErrorResponseType::UnauthorizedClient => Reason::UnauthorizedClient,
                BasicErrorResponseType::InvalidScope => Reason::InvalidScope,
                BasicErrorResponseType::InvalidRequest
                | BasicErrorResponseType::UnsupportedGrantType => Reason::InvalidRequest,
                BasicErrorResponseType::Extension(_) => Reason::Unknown,
            };
            Error::Refused(Box::new(Refusal {
                operation: Operation::TokenEndpoint,
                reason,
                code: scrub(r.error().as_ref()),
                message: scrub(r.error_description().map(String::as_str).unwrap_or("")),
                status,
                sent: Sent {
                    client_id: request.client_id.to_string(),
                    client_secret: request.client_secret.is_some(),
                    ..Sent::default()
                },
                request_id,
            }))
        }
        RequestTokenError::Request(e) if e.too_large => unexpected(e.message),
        RequestTokenError::Request(e) if e.timeout => Error::Timeout {
            endpoint,
            seconds: request.timeout.as_secs_f64(),
        },
        // As on the SDK's path: a certificate no trusted authority signed is no network fault.
        RequestTokenError::Request(e) if e.message.to_ascii_lowercase().contains("certificate") => {
            Error::Tls {
                endpoint,
                detail: scrub(&e.message),
            }
        }
        RequestTokenError::Request(e) => Error::Unreachable {
            endpoint,
            detail: scrub(&e.message),
            proxy: proxy_for(&connect_url(request.token_url)),
        },
        RequestTokenError::Parse(e, _body) => unexpected(format!(
            "the answer is not the token endpoint's JSON (at {})",
            e.path()
        )),
        RequestTokenError::Other(message) => unexpected(scrub(&message)),
    }
}

/// A transport failure, without anything the request carried.
#[derive(Debug)]
pub(crate) struct HttpError {
    timeout: bool,
    /// The answer went past the cap on its size.
    too_large: bool,
    message: String,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HttpError {}

/// The AWS SDK's HTTP client, as the `oauth2` crate's HTTP client.
pub(crate) struct Http {
    connector: Connector,
    /// The status of the last answer, for errors the `oauth2` crate reports without it.
    status: AtomicU16,
    /// The request id the last answer carried, which the `oauth2` crate does not keep.
    request_id: Mutex<Option<String>>,
}

impl Http {
    pub(crate) fn new(timeout: Duration, url: &Url) -> Self {
        let settings = HttpConnectorSettings::builder()
            .connect_timeout(timeout.min(Duration::from_millis(3100)))
            .read_timeout(timeout)
            .build();
        let connector = super::net::connector(Some(url), settings, None);
        Http {
            connector,
            status: AtomicU16::new(0),
            request_id: Mutex::new(None),
        }
    }

    pub(crate) fn last_status(&self) -> Option<u16> {
        Some(self.status.load(Ordering::Relaxed)).filter(|s| *s != 0)
    }

    pub(crate) fn last_request_id(&self) -> Option<String> {
        self.request_id.lock().ok()?.clone()
    }

    fn set_request_id(&self, id: Option<String>) {
        if let Ok(mut last) = self.request_id.lock() {
            *last = id;
        }
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.status.store(0, Ordering::Relaxed);
        self.set_request_id(None);
        let fail = |message: String| HttpError {
            timeout: false,
            too_large: false,
            message,
        };
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, SdkBody::from(body));
        let request = aws_smithy_runtime_api::http::Request::try_from(request)
            .map_err(|e| fail(format!("cannot build the request: {e}")))?;
        let response = self.connector.call(request).await.map_err(|e| HttpError {
            timeout: e.is_timeout(),
            too_large: false,
            message: error_chain(&e),
        })?;
        let status = response.status().as_u16();
        self.status.store(status, Ordering::Relaxed);
        self.set_request_id(super::classify::request_id(
            [
                "x-amzn-requestid",
                "x-amz-request-id",
                "x-amz-cognito-request-id",
            ]
            .into_iter()
            .find_map(|name| response.headers().get(name)),
        ));
        let mut builder = http::Response::builder().status(status);
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let body = ByteStream::new(cap(response.into_body()))
            .collect()
            .await
            .map_err(|e| match is_too_large(&e) {
                true => HttpError {
                    timeout: false,
                    too_large: true,
                    message: TooLarge.to_string(),
                },
                false => fail(format!("reading the answer: {}", error_chain(&e))),
            })?
            .into_bytes()
            .to_vec();
        builder
            .body(body)
            .map_err(|e| fail(format!("reading the answer: {e}")))
    }
}

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

/// Notes for a refresh at the token endpoint: where it goes.
pub(crate) fn note(url: &Url) -> Note {
    Note::Info(format!("calling the OAuth2 token endpoint {url}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_url_from_a_domain() {
        let cases = [
            (
                "myapp.auth.eu-west-1.amazoncognito.com",
                "https://myapp.auth.eu-west-1.amazoncognito.com/oauth2/token",
            ),
            (
                "https://auth.example.com/",
                "https://auth.example.com/oauth2/token",
            ),
            (
                "https://auth.example.com/oauth2/token",
                "https://auth.example.com/oauth2/token",
            ),
            (
                "http://127.0.0.1:9229",
                "http://127.0.0.1:9229/oauth2/token",
            ),
        ];
        for (domain, url) in cases {
            assert_eq!(token_url(domain).unwrap().as_str(), url, "{domain}");
        }
        for bad in [
            "",
            "http://auth.example.com",
            "https://a.example.com/?x=1",
            "ftp://a",
        ] {
            assert_eq!(
                token_url(bad).unwrap_err().kind(),
                ErrorKind::Usage,
                "{bad}"
            );
        }
    }

    #[test]
    fn id_token_debug_is_redacted() {
        let t = IdToken {
            id_token: Some("id-token-value".into()),
        };
        assert!(!format!("{t:?}").contains("id-token-value"));
    }
}
