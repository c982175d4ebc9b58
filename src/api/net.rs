//! The one HTTP and TLS stack of both paths (hyper 1 + rustls/aws-lc, the AWS SDK's), and
//! whether a request goes through a proxy, decided here for both.
//!
//! An https endpoint is reached through the proxy the environment names, as curl does:
//! `HTTPS_PROXY` (or `https_proxy`), else `ALL_PROXY` (or `all_proxy`), unless `NO_PROXY` (or
//! `no_proxy`) lists its host; credentials come from the proxy URL (`http://user:pass@proxy:3128`)
//! and are sent to the proxy only. `HTTP_PROXY` names the proxy of plain-http URLs, and a
//! plain-http endpoint (loopback only: an emulator) is never reached through any proxy: its
//! request carries the refresh token in clear text and must not leave the machine.

use crate::tokens::Note;
use aws_smithy_async::rt::sleep::SharedAsyncSleep;
use aws_smithy_http_client::Connector;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::{
    HttpConnectorSettings, SharedHttpClient, SharedHttpConnector, http_client_fn,
};
use hyper_util::client::proxy::matcher::Matcher;
use std::sync::{Arc, OnceLock};
use url::Url;

/// The proxy a request to `url` goes through, as `scheme://host:port` without the credentials
/// its URL may carry; `None` for a direct connection, and always for plain http.
pub fn proxy_for(url: &Url) -> Option<String> {
    if url.scheme() != "https" {
        return None;
    }
    let uri: http::Uri = url.as_str().parse().ok()?;
    let intercept = Matcher::from_env().intercept(&uri)?;
    let proxy = intercept.uri();
    Some(format!(
        "{}://{}",
        proxy.scheme_str().unwrap_or("http"),
        proxy.authority().map(|a| a.as_str()).unwrap_or("")
    ))
}

/// For `-v`: the proxy a request to `url` goes through, when it goes through one.
pub(crate) fn proxy_note(url: &Url) -> Option<Note> {
    proxy_for(url).map(|proxy| {
        Note::Info(format!(
            "through the proxy {proxy} (HTTPS_PROXY or ALL_PROXY; NO_PROXY does not list the host)"
        ))
    })
}

/// The proxy decision for requests to `url`, as the HTTP client takes it.
fn proxy_config(url: Option<&Url>) -> ProxyConfig {
    match url.and_then(proxy_for) {
        Some(_) => ProxyConfig::from_env(),
        None => ProxyConfig::disabled(),
    }
}

/// A connector for requests to `url`: the SDK's TLS stack, `settings`' timeouts (timed by
/// `sleep`, else tokio's), and a proxy when the environment names one for `url`.
pub(crate) fn connector(
    url: Option<&Url>,
    settings: HttpConnectorSettings,
    sleep: Option<SharedAsyncSleep>,
) -> Connector {
    let mut builder = Connector::builder()
        .connector_settings(settings)
        .proxy_config(proxy_config(url));
    builder.set_sleep_impl(sleep);
    let builder = builder.tls_provider(Provider::Rustls(CryptoMode::AwsLc));
    match url.map(Url::scheme) {
        // No TLS connection is made to a plain-http endpoint: its connector trusts nothing, so
        // that building it reads no certificate file.
        Some("http") => builder.tls_context(no_roots()).build(),
        // The roots of one source (super::roots): read at the first TLS connector of the
        // process, just before its first request, and kept.
        _ => builder
            .tls_context(trusting(super::roots::trust_store()))
            .build(),
    }
}

/// A TLS context that trusts no certificate.
fn no_roots() -> TlsContext {
    trusting(TrustStore::empty().with_native_roots(false))
}

/// A TLS context that trusts `roots`.
fn trusting(roots: TrustStore) -> TlsContext {
    TlsContext::builder()
        .with_trust_store(roots)
        .build()
        .unwrap_or_else(|_| TlsContext::default())
}

/// The SDK's HTTP client for requests to `url`: the same connector as the token endpoint's,
/// built at the first request with the client's timeouts and then kept (its connections are
/// reused by retries). A client talks to one endpoint, with one set of timeouts.
pub(crate) fn sdk_http_client(url: Option<Url>) -> SharedHttpClient {
    let built: Arc<OnceLock<SharedHttpConnector>> = Arc::default();
    http_client_fn(move |settings, components| {
        built
            .get_or_init(|| {
                SharedHttpConnector::new(connector(
                    url.as_ref(),
                    settings.clone(),
                    components.sleep_impl(),
                ))
            })
            .clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_never_proxied() {
        // Whatever the environment says: plain http is decided before it is read.
        for url in ["http://127.0.0.1:9229/", "http://[::1]:1/oauth2/token"] {
            let url = Url::parse(url).unwrap();
            assert_eq!(proxy_for(&url), None, "{url}");
            assert!(proxy_config(Some(&url)).is_disabled(), "{url}");
        }
    }
}
