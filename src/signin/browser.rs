//! Sign-in through the browser: the hosted UI's (managed login's) authorization code grant with
//! PKCE (S256) and a random `state`, its redirect received on a loopback listener.
//!
//! [`BrowserSignIn::new`] draws the state and the PKCE verifier; [`BrowserSignIn::listen`] opens
//! the listener on the redirect URI's port before any browser is sent anywhere;
//! [`Listener::wait`] takes the one expected callback (`GET <path>?code=..&state=..`), answering
//! anything else with a page that says what it was and waiting on; the caller exchanges the code
//! ([`BrowserSignIn::exchange`]) and then answers the browser ([`Callback::answer`]), so the
//! page the user reads says how the sign-in ended.

use crate::api::authorization_code::{self, Authorize, Domain, Exchange};
use crate::tokens::Tokens;
use crate::{Error, ErrorKind};
use oauth2::{CsrfToken, PkceCodeChallenge};
use secrecy::{ExposeSecret, SecretString};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::{Host, Url};

/// One browser sign-in: where it goes, and the secrets it is bound to.
#[derive(Debug)]
pub struct BrowserSignIn {
    pub domain: Domain,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    pub redirect_uri: Url,
    pub scopes: Vec<String>,
    pub identity_provider: Option<String>,
    state: SecretString,
    verifier: SecretString,
    challenge: String,
}

impl BrowserSignIn {
    /// A sign-in at `domain` (as [`Domain::parse`] takes it) for the app client, redirected to
    /// `redirect_uri` (see [`redirect_uri`]), with a fresh random state and PKCE verifier.
    pub fn new(domain: &str, client_id: &str, redirect_uri: &str) -> Result<Self, Error> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        Ok(BrowserSignIn {
            domain: Domain::parse(domain)?,
            client_id: client_id.to_string(),
            client_secret: None,
            redirect_uri: self::redirect_uri(redirect_uri)?,
            scopes: Vec::new(),
            identity_provider: None,
            state: SecretString::from(CsrfToken::new_random().secret().clone()),
            verifier: SecretString::from(verifier.secret().clone()),
            challenge: challenge.as_str().to_string(),
        })
    }

    fn authorize(&self) -> Authorize<'_> {
        Authorize {
            domain: &self.domain,
            client_id: &self.client_id,
            redirect_uri: &self.redirect_uri,
            scopes: &self.scopes,
            identity_provider: self.identity_provider.as_deref(),
            state: self.state.expose_secret(),
            code_challenge: &self.challenge,
        }
    }

    /// The URL the browser opens.
    pub fn authorize_url(&self) -> Url {
        self.authorize().url()
    }

    /// Asks the authorize endpoint whether it takes this request (see
    /// [`authorization_code::check`]): a redirect URI the app client does not allow fails here.
    pub async fn check(&self, timeout: Duration) -> Result<(), Error> {
        authorization_code::check(&self.authorize(), timeout).await
    }

    /// Listens on the redirect URI's address and port: 127.0.0.1 (and ::1 when it is free)
    /// for `localhost`, else the loopback address it names.
    pub async fn listen(&self) -> Result<Listener, Error> {
        let port = self.redirect_uri.port_or_known_default().unwrap_or(80);
        let addresses: Vec<IpAddr> = match self.redirect_uri.host() {
            Some(Host::Ipv4(ip)) => vec![ip.into()],
            Some(Host::Ipv6(ip)) => vec![ip.into()],
            _ => vec![Ipv4Addr::LOCALHOST.into(), Ipv6Addr::LOCALHOST.into()],
        };
        let mut listeners = Vec::new();
        for (i, ip) in addresses.iter().enumerate() {
            let at = SocketAddr::new(*ip, port);
            match TcpListener::bind(at).await {
                Ok(l) => listeners.push(l),
                // ::1 beside 127.0.0.1 is a convenience: a host without IPv6 does without it.
                Err(_) if i > 0 => {}
                Err(e) => {
                    let (why, source) = match e.kind() {
                        std::io::ErrorKind::AddrInUse => (
                            "the port is in use (another sign-in waiting, or another program)"
                                .to_string(),
                            None,
                        ),
                        _ => (e.to_string(), Some(e)),
                    };
                    return Err(Error::local(
                        ErrorKind::Usage,
                        format!(
                            "cannot listen on {at} for the browser's redirect to {}: {why}",
                            self.redirect_uri
                        ),
                        source,
                    ));
                }
            }
        }
        Ok(Listener {
            listeners,
            path: self.redirect_uri.path().to_string(),
            state: self.state.clone(),
        })
    }

    /// Exchanges the callback's code at the token endpoint, with the PKCE verifier (and the
    /// client secret, as HTTP Basic, when there is one).
    pub async fn exchange(&self, code: &SecretString, timeout: Duration) -> Result<Tokens, Error> {
        authorization_code::exchange(&Exchange {
            token_url: &self.domain.token,
            client_id: &self.client_id,
            client_secret: self.client_secret.as_ref(),
            code,
            code_verifier: &self.verifier,
            redirect_uri: &self.redirect_uri,
            timeout,
        })
        .await
    }
}

/// Checks a redirect URI for a browser sign-in: `http://` to this machine (`localhost`,
/// 127.0.0.0/8 or `::1`), with no query or fragment, since the listener that receives it has
/// no TLS and must be the only thing the redirect can reach.
pub fn redirect_uri(raw: &str) -> Result<Url, Error> {
    let bad = |why: &str| {
        Error::usage(format!(
            "invalid redirect URI {raw:?}: {why}; expected http://localhost:PORT/PATH, which \
             the app client must list among its callback URLs"
        ))
    };
    let url = Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
    if url.scheme() != "http" {
        return Err(bad(
            "the redirect comes back to a listener on this machine, which has no TLS: use http://",
        ));
    }
    let local = match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if !local {
        return Err(bad("its host is not this machine"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad("it has a query, fragment or user name"));
    }
    Ok(url)
}

/// The loopback listener the browser is redirected to.
#[derive(Debug)]
pub struct Listener {
    listeners: Vec<TcpListener>,
    path: String,
    state: SecretString,
}

/// A request the listener answered and did not take as the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ignored {
    /// Another path than the redirect URI's (`/favicon.ico`, a probe).
    Path(String),
    /// Another method than GET.
    Method(String),
    /// The redirect URI's path, without the state of this sign-in: an earlier attempt's tab,
    /// or a request Cognito did not send.
    State,
}

/// The expected callback: its code, and the browser waiting for a page.
#[derive(Debug)]
pub struct Callback {
    pub code: SecretString,
    stream: TcpStream,
}

/// How the sign-in ended, for the page the browser shows.
#[derive(Debug, Clone)]
pub enum Page {
    /// Signed in; the text says what became of the session.
    SignedIn(String),
    /// It failed; the text says why.
    Failed(String),
}

impl Callback {
    /// Answers the browser with a page saying how the sign-in ended and that the tab can be
    /// closed.
    pub async fn answer(mut self, page: Page) {
        let (status, title, text) = match &page {
            Page::SignedIn(text) => (200, "Signed in", text.as_str()),
            Page::Failed(text) => (400, "Sign-in failed", text.as_str()),
        };
        respond(&mut self.stream, status, title, text).await;
    }
}

/// How long a browser gets to send its request once connected. Browsers also open connections
/// they never use (preconnects), so each is read on its own.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A request line and its query, or nothing readable.
type Request = Option<(String, String)>;

impl Listener {
    /// Waits up to `timeout` for the callback. Other requests are answered with a page saying
    /// what they were, reported to `ignored`, and waited past; a callback with this sign-in's
    /// state and an `error` ends the wait with that error.
    pub async fn wait(
        &self,
        timeout: Duration,
        ignored: &mut dyn FnMut(Ignored),
    ) -> Result<Callback, Error> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(TcpStream, Request)>();
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                accepted = accept(&self.listeners) => {
                    let Ok(mut stream) = accepted else { continue };
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        let request = tokio::time::timeout(READ_TIMEOUT, read_request(&mut stream))
                            .await
                            .ok()
                            .flatten();
                        let _ = tx.send((stream, request));
                    });
                }
                Some((mut stream, request)) = rx.recv() => {
                    let Some((method, target)) = request else { continue };
                    match self.judge(&method, &target) {
                        Verdict::Code(code) => return Ok(Callback { code, stream }),
                        Verdict::Ignore(what) => {
                            let (status, title, text) = ignored_page(&what);
                            respond(&mut stream, status, title, text).await;
                            ignored(what);
                        }
                        Verdict::Refused(error, description) => {
                            let said = said(&error, &description);
                            let text = format!(
                                "The sign-in did not succeed: {said}. Close this tab and try again."
                            );
                            respond(&mut stream, 400, "Sign-in failed", &text).await;
                            return Err(authorize_error(&error, &said));
                        }
                    }
                }
                () = &mut deadline => {
                    return Err(Error::new(
                        ErrorKind::Transient,
                        format!(
                            "no sign-in came back from the browser within {}: the tab may have \
                             been closed, or the sign-in not finished",
                            duration_words(timeout)
                        ),
                    ));
                }
            }
        }
    }

    fn judge(&self, method: &str, target: &str) -> Verdict {
        let Ok(url) = Url::parse("http://localhost").and_then(|base| base.join(target)) else {
            return Verdict::Ignore(Ignored::Path(printable(target)));
        };
        if url.path() != self.path {
            return Verdict::Ignore(Ignored::Path(printable(url.path())));
        }
        if method != "GET" {
            return Verdict::Ignore(Ignored::Method(printable(method)));
        }
        let get = |k: &str| {
            url.query_pairs()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.into_owned())
        };
        let state_matches = get("state").is_some_and(|s| same(&s, self.state.expose_secret()));
        if !state_matches {
            return Verdict::Ignore(Ignored::State);
        }
        match (get("code"), get("error")) {
            (_, Some(error)) => Verdict::Refused(
                printable(&error),
                printable(&get("error_description").unwrap_or_default()),
            ),
            (Some(code), None) if !code.is_empty() => Verdict::Code(SecretString::from(code)),
            _ => Verdict::Refused(
                "invalid_request".into(),
                "the redirect carried neither a code nor an error".into(),
            ),
        }
    }
}

enum Verdict {
    Code(SecretString),
    Ignore(Ignored),
    Refused(String, String),
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn said(error: &str, description: &str) -> String {
    match description.is_empty() {
        true => error.to_string(),
        false => format!("{error}: {description}"),
    }
}

/// The error of a redirect with `error=`: its kind from the OAuth2 error code.
fn authorize_error(error: &str, said: &str) -> Error {
    let kind = match error {
        "access_denied" => ErrorKind::TokenRejected,
        "server_error" | "temporarily_unavailable" => ErrorKind::Transient,
        "invalid_request"
        | "unauthorized_client"
        | "unsupported_response_type"
        | "invalid_scope"
        | "invalid_client" => ErrorKind::Misconfigured,
        _ => ErrorKind::Other,
    };
    Error::new(kind, format!("the sign-in in the browser failed: {said}"))
}

fn ignored_page(what: &Ignored) -> (u16, &'static str, &'static str) {
    match what {
        Ignored::Path(_) => (
            404,
            "Not found",
            "This address is not the sign-in's redirect. The sign-in is still waiting.",
        ),
        Ignored::Method(_) => (
            405,
            "Method not allowed",
            "The sign-in's redirect is a GET request. The sign-in is still waiting.",
        ),
        Ignored::State => (
            400,
            "Not this sign-in",
            "This redirect does not belong to the sign-in waiting here (its state does not \
             match): it may come from an earlier attempt. Use the address the terminal gave for \
             the current sign-in. You can close this tab.",
        ),
    }
}

/// Text from the network, safe for a terminal: control characters replaced, length bounded.
fn printable(text: &str) -> String {
    text.chars()
        .take(300)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn duration_words(d: Duration) -> String {
    let s = d.as_secs_f64();
    match s {
        60.0 => "1 minute".to_string(),
        _ if s > 60.0 && s % 60.0 == 0.0 => format!("{} minutes", s / 60.0),
        _ => format!("{s} s"),
    }
}

async fn accept(listeners: &[TcpListener]) -> std::io::Result<TcpStream> {
    match listeners {
        [one] => one.accept().await.map(|(s, _)| s),
        [a, b, ..] => tokio::select! {
            r = a.accept() => r.map(|(s, _)| s),
            r = b.accept() => r.map(|(s, _)| s),
        },
        [] => std::future::pending().await,
    }
}

/// The request line's method and target, once the headers are in (at most 16 KiB).
async fn read_request(stream: &mut TcpStream) -> Request {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() + n > 16 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let mut parts = head.lines().next()?.split(' ');
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    Some((method, target))
}

/// Writes a small HTML page and closes the connection.
async fn respond(stream: &mut TcpStream, status: u16, title: &str, text: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Bad Request",
    };
    let body = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family: sans-serif; margin: 3em\">\n<h1>{title}</h1>\n<p>{}</p>\n\
         </body></html>\n",
        html_escape(text),
        title = html_escape(title),
    );
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_stay_on_this_machine() {
        for ok in [
            "http://localhost:8976/callback",
            "http://127.0.0.1:1234/",
            "http://[::1]:9/cb",
        ] {
            assert!(redirect_uri(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://localhost:8976/callback",
            "http://example.com:8976/callback",
            "http://localhost:8976/callback?x=1",
            "http://localhost:8976/callback#x",
            "http://10.0.0.1:80/",
            "localhost:8976",
        ] {
            assert_eq!(
                redirect_uri(bad).unwrap_err().kind(),
                ErrorKind::Usage,
                "{bad}"
            );
        }
    }

    fn listener() -> Listener {
        Listener {
            listeners: Vec::new(),
            path: "/callback".into(),
            state: SecretString::from("the-state"),
        }
    }

    #[test]
    fn only_the_exact_callback_is_taken() {
        let l = listener();
        assert!(matches!(
            l.judge("GET", "/callback?code=c0de&state=the-state"),
            Verdict::Code(c) if c.expose_secret() == "c0de"
        ));
        assert!(matches!(
            l.judge("GET", "/favicon.ico"),
            Verdict::Ignore(Ignored::Path(p)) if p == "/favicon.ico"
        ));
        assert!(matches!(
            l.judge("GET", "/callback/x?code=c&state=the-state"),
            Verdict::Ignore(Ignored::Path(_))
        ));
        assert!(matches!(
            l.judge("POST", "/callback?code=c&state=the-state"),
            Verdict::Ignore(Ignored::Method(_))
        ));
        for wrong in [
            "/callback?code=c&state=other",
            "/callback?code=c",
            "/callback",
        ] {
            assert!(
                matches!(l.judge("GET", wrong), Verdict::Ignore(Ignored::State)),
                "{wrong}"
            );
        }
        // An error with another state is not this sign-in's either.
        assert!(matches!(
            l.judge("GET", "/callback?error=access_denied&state=x"),
            Verdict::Ignore(Ignored::State)
        ));
        assert!(matches!(
            l.judge("GET", "/callback?error=access_denied&error_description=no%1b[31m&state=the-state"),
            Verdict::Refused(e, d) if e == "access_denied" && d == "no?[31m"
        ));
    }

    #[test]
    fn authorize_errors_have_their_kinds() {
        assert_eq!(
            authorize_error("access_denied", "x").kind(),
            ErrorKind::TokenRejected
        );
        assert_eq!(
            authorize_error("invalid_scope", "x").kind(),
            ErrorKind::Misconfigured
        );
        assert_eq!(
            authorize_error("server_error", "x").kind(),
            ErrorKind::Transient
        );
        assert_eq!(authorize_error("odd", "x").kind(), ErrorKind::Other);
    }

    #[test]
    fn pages_escape_what_came_from_the_network() {
        assert_eq!(html_escape("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
    }

    #[test]
    fn debug_shows_no_secret() {
        let s =
            BrowserSignIn::new("auth.example.com", "c", "http://localhost:8976/callback").unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains(s.state.expose_secret()));
        assert!(!debug.contains(s.verifier.expose_secret()));
    }
}
