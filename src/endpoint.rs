//! Endpoint URLs for emulators and private endpoints: a refresh token never crosses a network
//! in clear text.

use crate::Error;
use std::net::IpAddr;
use url::{Host, Url};

/// Parses and checks an endpoint URL: `https://` anywhere, `http://` only on loopback
/// (127.0.0.0/8, ::1, localhost).
pub fn parse_endpoint(raw: &str) -> Result<Url, Error> {
    // A URL with user information may hold a password: it is refused without being repeated.
    if raw.contains('@') {
        return Err(Error::usage(
            "invalid endpoint URL: it carries a user name or password (`user:pass@`), which \
             Cognito endpoints never take; give the URL without them",
        ));
    }
    let url =
        Url::parse(raw).map_err(|e| Error::usage(format!("invalid endpoint URL {raw:?}: {e}")))?;
    let host = url
        .host()
        .ok_or_else(|| Error::usage(format!("invalid endpoint URL {raw:?}: no host")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&host) => Ok(url),
        "http" => Err(Error::usage(format!(
            "refusing plain http:// endpoint {raw:?}: only loopback hosts (127.0.0.0/8, ::1, \
             localhost) may be reached without TLS, since the request carries the refresh token"
        ))
        .with_hint("use an https:// endpoint URL")),
        other => Err(Error::usage(format!(
            "invalid endpoint URL {raw:?}: scheme {other:?}, expected https (or http on loopback)"
        ))),
    }
}

/// The URL to connect to for a checked endpoint: a plain-http `localhost` becomes 127.0.0.1,
/// so that the request (which carries the refresh token in clear text) goes to the loopback
/// address without asking any resolver, whose answer could point elsewhere. An https URL is
/// kept: TLS checks that the server is the one named.
pub(crate) fn connect_url(url: &Url) -> Url {
    let mut url = url.clone();
    if url.scheme() == "http"
        && let Some(Host::Domain(d)) = url.host()
        && d.eq_ignore_ascii_case("localhost")
    {
        // An http URL with a host always takes an IPv4 address as its host.
        let _ = url.set_ip_host(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    }
    url
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn accepts_https_and_loopback_http() {
        for ok in [
            "https://cognito-idp.eu-west-1.amazonaws.com",
            "https://vpce-123.cognito-idp.eu-west-1.vpce.amazonaws.com/",
            "http://127.0.0.1:5000",
            "http://127.8.9.10:1",
            "http://localhost:9229/",
            "http://LOCALHOST",
            "http://[::1]:8080",
        ] {
            assert!(parse_endpoint(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_clear_text_off_loopback() {
        for bad in [
            "http://10.0.0.1:5000",
            "http://example.com",
            "http://localhost.example.com",
            "http://[::2]",
            "http://0.0.0.0:5000",
        ] {
            let e = parse_endpoint(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Usage, "{bad}");
            assert!(
                e.to_string().contains("refusing plain http://"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn localhost_over_http_is_connected_to_by_address() {
        for (given, connect) in [
            ("http://localhost:9229/", "http://127.0.0.1:9229/"),
            (
                "http://LocalHost/oauth2/token",
                "http://127.0.0.1/oauth2/token",
            ),
            ("http://127.0.0.2:1/", "http://127.0.0.2:1/"),
            ("https://localhost:8443/", "https://localhost:8443/"),
            (
                "https://cognito-idp.eu-west-1.amazonaws.com/",
                "https://cognito-idp.eu-west-1.amazonaws.com/",
            ),
        ] {
            let url = parse_endpoint(given).unwrap();
            assert_eq!(connect_url(&url).as_str(), connect, "{given}");
        }
    }

    #[test]
    fn refuses_user_information_without_repeating_it() {
        for bad in [
            "https://user:hunter2@example.com",
            "http://hunter2@127.0.0.1:9",
        ] {
            let e = parse_endpoint(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Usage);
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["", "cognito", "ftp://127.0.0.1", "https://", "http://:80"] {
            assert_eq!(
                parse_endpoint(bad).unwrap_err().kind(),
                ErrorKind::Usage,
                "{bad}"
            );
        }
    }
}
