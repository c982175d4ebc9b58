//! The hosted UI's authorization code grant with PKCE (RFC 6749 4.1, RFC 7636): the authorize
//! URL a browser opens, a check of that URL before any browser is sent to it, and the exchange
//! of the code the browser brings back at `POST /oauth2/token`.
//!
//! Requests go through the same HTTP client as the refresh at the token endpoint
//! ([`super::oauth2`]): one HTTP and TLS stack, the same proxies, the same cap on answers.

use super::http::cap;
use super::net::proxy_for;
use super::oauth2::{Call, Http, classify, token_client, token_url, tokens};
use crate::endpoint::connect_url;
use crate::error::{Endpoint, Operation};
use crate::tokens::Tokens;
use crate::{Error, ErrorKind};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use oauth2::{AuthorizationCode, PkceCodeVerifier, RedirectUrl};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;
use url::Url;

/// The user pool domain's endpoints of the grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    /// `https://DOMAIN/oauth2/authorize`
    pub authorize: Url,
    /// `https://DOMAIN/oauth2/token`
    pub token: Url,
}

impl Domain {
    /// The endpoints of a user pool domain given as `token_url` takes it (a bare host name, a
    /// URL, or the token endpoint's URL).
    pub fn parse(domain: &str) -> Result<Domain, Error> {
        let token = token_url(domain)?;
        let mut authorize = token.clone();
        let base = token.path().trim_end_matches("/token").to_string();
        authorize.set_path(&format!("{base}/authorize"));
        Ok(Domain { authorize, token })
    }
}

/// What the authorize endpoint is asked for.
#[derive(Debug, Clone)]
pub struct Authorize<'a> {
    pub domain: &'a Domain,
    pub client_id: &'a str,
    pub redirect_uri: &'a Url,
    /// Scopes, space-separated in the request; none: the app client's defaults.
    pub scopes: &'a [String],
    /// Skips the hosted UI's choice of provider: `COGNITO`, or a federated provider's name.
    pub identity_provider: Option<&'a str>,
    /// The random `state` the callback must bring back.
    pub state: &'a str,
    /// The PKCE challenge: base64url(SHA-256(verifier)).
    pub code_challenge: &'a str,
}

impl Authorize<'_> {
    /// `https://DOMAIN/oauth2/authorize?response_type=code&client_id=..&redirect_uri=..&state=..
    /// &code_challenge=..&code_challenge_method=S256[&scope=..][&identity_provider=..]`
    pub fn url(&self) -> Url {
        let mut url = self.domain.authorize.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", self.client_id)
                .append_pair("redirect_uri", self.redirect_uri.as_str())
                .append_pair("state", self.state)
                .append_pair("code_challenge", self.code_challenge)
                .append_pair("code_challenge_method", "S256");
            if !self.scopes.is_empty() {
                q.append_pair("scope", &self.scopes.join(" "));
            }
            if let Some(idp) = self.identity_provider {
                q.append_pair("identity_provider", idp);
            }
        }
        url
    }
}

/// Asks the authorize endpoint for the URL a browser will open, without following its
/// redirect, so that a redirect URI the app client does not allow, an unknown client or a wrong
/// domain is said here rather than on a page in the browser. Cognito redirects such a request
/// to its `/error` page (`error=redirect_mismatch`); other servers answer HTTP 400 with an
/// OAuth2 error.
pub async fn check(request: &Authorize<'_>, timeout: Duration) -> Result<(), Error> {
    let url = request.url();
    let endpoint = Endpoint {
        operation: Operation::TokenEndpoint,
        url: request.domain.authorize.to_string(),
    };
    let settings = HttpConnectorSettings::builder()
        .connect_timeout(timeout.min(Duration::from_millis(3100)))
        .read_timeout(timeout)
        .build();
    let target = connect_url(&url);
    let connector = super::net::connector(Some(&target), settings, None);
    let unreachable = |detail: String| Error::Unreachable {
        endpoint: endpoint.clone(),
        detail,
        proxy: proxy_for(&target),
    };
    let call = async {
        let http_request = http::Request::get(target.as_str())
            .body(SdkBody::empty())
            .map_err(|e| unreachable(format!("cannot build the request: {e}")))?;
        let http_request = aws_smithy_runtime_api::http::Request::try_from(http_request)
            .map_err(|e| unreachable(format!("cannot build the request: {e}")))?;
        let response = connector
            .call(http_request)
            .await
            .map_err(|e| unreachable(super::classify::error_chain(&e)))?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(str::to_string)
            .and_then(|l| request.domain.authorize.join(&l).ok());
        let body = ByteStream::new(cap(response.into_body()))
            .collect()
            .await
            .map(|b| b.into_bytes().to_vec())
            .unwrap_or_default();
        Ok::<_, Error>((status, location, body))
    };
    let (status, location, body) = match tokio::time::timeout(timeout, call).await {
        Ok(answer) => answer?,
        Err(_) => {
            return Err(Error::Timeout {
                endpoint,
                seconds: timeout.as_secs_f64(),
            });
        }
    };
    judge(request, &endpoint, status, location.as_ref(), &body)
}

/// What the authorize endpoint's answer says of the request.
fn judge(
    request: &Authorize<'_>,
    endpoint: &Endpoint,
    status: u16,
    location: Option<&Url>,
    body: &[u8],
) -> Result<(), Error> {
    // Cognito's error page: `/error?error=redirect_mismatch&client_id=...`.
    let cognito_error = location
        .filter(|l| l.path().trim_end_matches('/').ends_with("/error"))
        .map(|l| {
            let get = |k: &str| {
                l.query_pairs()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.into_owned())
            };
            (
                get("error").unwrap_or_default(),
                get("error_description").unwrap_or_default(),
            )
        });
    let oauth_error = (status == 400)
        .then(|| serde_json::from_slice::<serde_json::Value>(body).ok())
        .flatten()
        .map(|v| {
            let text = |k: &str| v.get(k).and_then(|s| s.as_str()).unwrap_or("").to_string();
            (text("error"), text("error_description"))
        });
    let Some((error, description)) = cognito_error.or(oauth_error) else {
        return match status {
            200..=399 => Ok(()),
            _ => Err(Error::Unexpected {
                endpoint: endpoint.clone(),
                status: Some(status),
                detail: "the authorize endpoint did not answer as a user pool domain does".into(),
                attempts: 1,
                request_id: None,
            }),
        };
    };
    let said = match description.is_empty() {
        true => error.clone(),
        false => format!("{error}: {description}"),
    };
    let said = super::classify::scrub(&said, [request.state, request.code_challenge]);
    let lower = said.to_ascii_lowercase();
    if error == "redirect_mismatch" || lower.contains("redirect_uri") {
        let uri = request.redirect_uri;
        return Err(Error::new(
            ErrorKind::Misconfigured,
            format!(
                "app client {} does not allow the redirect URI {uri} (the authorize endpoint \
                 answered {said})",
                request.client_id
            ),
        )
        .with_hint(format!(
            "add {uri} to the app client's allowed callback URLs (in the console: the app \
             client's login pages), or give a redirect URI it already allows: Cognito redirects \
             only to registered URLs, character for character"
        )));
    }
    let kind = match error.as_str() {
        "server_error" | "temporarily_unavailable" => ErrorKind::Transient,
        _ => ErrorKind::Misconfigured,
    };
    Err(Error::new(
        kind,
        format!("the authorize endpoint refused the sign-in request: {said}"),
    )
    .with_hint(format!(
        "check the app client id {} and that the domain belongs to its user pool, and that the \
         client has the authorization code grant and the scopes asked for",
        request.client_id
    )))
}

/// What the code exchange sends.
#[derive(Debug)]
pub struct Exchange<'a> {
    pub token_url: &'a Url,
    pub client_id: &'a str,
    pub client_secret: Option<&'a SecretString>,
    pub code: &'a SecretString,
    pub code_verifier: &'a SecretString,
    /// The redirect URI of the authorize request, which the token endpoint compares.
    pub redirect_uri: &'a Url,
    pub timeout: Duration,
}

/// Exchanges the code at the token endpoint (`grant_type=authorization_code`, the PKCE
/// verifier, the client secret as HTTP Basic when there is one). Sent once: a code is good for
/// one exchange, so a retry could only be refused.
pub async fn exchange(request: &Exchange<'_>) -> Result<Tokens, Error> {
    let client = token_client(request.token_url, request.client_id, request.client_secret);
    let http = Http::new(request.timeout, &connect_url(request.token_url));
    let code = AuthorizationCode::new(request.code.expose_secret().to_string());
    let verifier = PkceCodeVerifier::new(request.code_verifier.expose_secret().to_string());
    let redirect = RedirectUrl::from_url(request.redirect_uri.clone());
    let mut exchange = client
        .exchange_code(code)
        .set_pkce_verifier(verifier)
        .set_redirect_uri(std::borrow::Cow::Owned(redirect));
    if request.client_secret.is_some() {
        // As for a refresh: the crate leaves client_id out of the form with HTTP Basic.
        exchange = exchange.add_extra_param("client_id", request.client_id);
    }
    let endpoint = Endpoint {
        operation: Operation::TokenEndpoint,
        url: request.token_url.to_string(),
    };
    let result = match tokio::time::timeout(request.timeout, exchange.request_async(&http)).await {
        Ok(result) => result,
        Err(_) => {
            return Err(Error::Timeout {
                endpoint,
                seconds: request.timeout.as_secs_f64(),
            });
        }
    };
    let request_id = http.last_request_id();
    match result {
        Ok(response) => Ok(Tokens {
            request_id,
            ..tokens(&response)
        }),
        Err(e) => Err(classify(
            e,
            http.last_status(),
            request_id,
            &Call {
                token_url: request.token_url,
                client_id: request.client_id,
                client_secret: request.client_secret,
                secrets: vec![
                    request.code.expose_secret(),
                    request.code_verifier.expose_secret(),
                ],
                timeout: request.timeout,
                max_attempts: 1,
            },
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_of_a_domain() {
        let d = Domain::parse("myapp.auth.eu-west-1.amazoncognito.com").unwrap();
        assert_eq!(
            d.authorize.as_str(),
            "https://myapp.auth.eu-west-1.amazoncognito.com/oauth2/authorize"
        );
        assert_eq!(
            d.token.as_str(),
            "https://myapp.auth.eu-west-1.amazoncognito.com/oauth2/token"
        );
        let d = Domain::parse("http://127.0.0.1:9229/").unwrap();
        assert_eq!(
            d.authorize.as_str(),
            "http://127.0.0.1:9229/oauth2/authorize"
        );
    }

    fn request<'a>(domain: &'a Domain, redirect: &'a Url, scopes: &'a [String]) -> Authorize<'a> {
        Authorize {
            domain,
            client_id: "client1",
            redirect_uri: redirect,
            scopes,
            identity_provider: Some("Google"),
            state: "st4te",
            code_challenge: "ch4llenge",
        }
    }

    #[test]
    fn the_authorize_url_carries_pkce_state_scopes_and_provider() {
        let domain = Domain::parse("auth.example.com").unwrap();
        let redirect = Url::parse("http://localhost:8976/callback").unwrap();
        let scopes = ["openid".to_string(), "email".to_string()];
        let url = request(&domain, &redirect, &scopes).url();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "client1");
        assert_eq!(q["redirect_uri"], "http://localhost:8976/callback");
        assert_eq!(q["state"], "st4te");
        assert_eq!(q["code_challenge"], "ch4llenge");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["scope"], "openid email");
        assert_eq!(q["identity_provider"], "Google");
        assert!(
            url.as_str()
                .starts_with("https://auth.example.com/oauth2/authorize?")
        );
    }

    #[test]
    fn a_redirect_mismatch_is_misconfigured_and_names_the_uri() {
        let domain = Domain::parse("auth.example.com").unwrap();
        let redirect = Url::parse("http://localhost:8976/callback").unwrap();
        let req = request(&domain, &redirect, &[]);
        let endpoint = Endpoint {
            operation: Operation::TokenEndpoint,
            url: domain.authorize.to_string(),
        };
        let cognito =
            Url::parse("https://auth.example.com/error?error=redirect_mismatch&client_id=client1")
                .unwrap();
        let local = br#"{"error":"invalid_request","error_description":"redirect_uri not registered for this client"}"#;
        for e in [
            judge(&req, &endpoint, 302, Some(&cognito), b"").unwrap_err(),
            judge(&req, &endpoint, 400, None, local).unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::Misconfigured);
            assert!(
                e.to_string().contains("http://localhost:8976/callback"),
                "{e}"
            );
        }
        let login = Url::parse("https://auth.example.com/login?client_id=client1").unwrap();
        assert!(judge(&req, &endpoint, 302, Some(&login), b"").is_ok());
        assert!(judge(&req, &endpoint, 200, None, b"<html>").is_ok());
        let e = judge(&req, &endpoint, 404, None, b"").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Misconfigured);
    }
}
