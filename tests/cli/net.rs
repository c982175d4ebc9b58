//! The network. Proxies: an https endpoint is reached through the proxy HTTPS_PROXY or
//! ALL_PROXY names (with the credentials of its URL), unless NO_PROXY lists its host, on both
//! HTTP paths (the SDK's and the token endpoint's); a plain-http loopback endpoint never is,
//! whatever the environment says. Against a CONNECT proxy and an HTTPS stub, both on 127.0.0.1.
//! TLS roots: read once, and only for a TLS connection.

use crate::support::net::{Proxy, TestCa, token_endpoint_answer};
use crate::support::wire;
use crate::support::wire::REFRESH_TOKEN as RT;
use crate::util::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const PROXY_PASSWORD: &str = "pr0xy-pa55word";

/// `refresh -v` of the stubs' app client, trusting `ca`, with no proxy variable but `NO_PROXY`
/// left from `bin()`'s environment: the caller sets what it tests.
fn refresh(ca: &TestCa, api: &[&str]) -> assert_cmd::Command {
    let mut cmd = bin();
    cmd.args(wire::REFRESH_VERBOSE)
        .args(api)
        .env_remove("NO_PROXY")
        .env("SSL_CERT_FILE", ca.cert_file())
        .env("COGNITO_REFRESH_TOKEN", RT);
    cmd
}

/// The options that send a refresh to `https://ADDR` through the SDK, and through the token
/// endpoint.
fn both_apis(addr: &str) -> [Vec<String>; 2] {
    let url = format!("https://{addr}");
    [
        vec!["--endpoint-url".into(), url.clone()],
        vec!["--api".into(), "oauth2".into(), "--domain".into(), url],
    ]
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn an_https_endpoint_is_reached_through_the_proxy_with_its_credentials() {
    let ca = TestCa::new();
    let stub = ca.stub();
    for (variable, api) in ["HTTPS_PROXY", "ALL_PROXY"]
        .into_iter()
        .zip(both_apis(&stub))
    {
        let proxy = Proxy::start();
        let url = format!("http://alice:{PROXY_PASSWORD}@{}", proxy.addr);
        let out = run(refresh(&ca, &strs(&api)).env(variable, &url), 0);
        let tunnels = proxy.tunnels();
        assert_eq!(tunnels.len(), 1, "{variable} {api:?}: {tunnels:?}");
        assert_eq!(tunnels[0].target, stub, "{variable} {api:?}");
        let basic = format!(
            "Basic {}",
            STANDARD.encode(format!("alice:{PROXY_PASSWORD}"))
        );
        assert_eq!(tunnels[0].authorization.as_deref(), Some(&*basic));
        // -v names the proxy, without its credentials.
        assert_stderr_contains(&out, &format!("through the proxy http://{}", proxy.addr));
        assert_no_secrets(&out, &[PROXY_PASSWORD, RT]);
        assert!(!json_tokens(&out).access_token.is_empty());
    }
}

#[test]
fn no_proxy_lists_the_hosts_reached_directly() {
    let ca = TestCa::new();
    let stub = ca.stub();
    for api in both_apis(&stub) {
        let proxy = Proxy::start();
        let out = run(
            refresh(&ca, &strs(&api))
                .env("HTTPS_PROXY", format!("http://{}", proxy.addr))
                .env("NO_PROXY", "example.com,127.0.0.1"),
            0,
        );
        assert_eq!(proxy.connections(), 0, "{api:?}");
        assert!(!stderr(&out).contains("proxy"), "{}", stderr(&out));
    }
}

#[tokio::test]
async fn a_plain_http_loopback_endpoint_never_goes_through_a_proxy() {
    let server = wire::answering(wire::auth_result(wire::tokens())).await;
    let ca = TestCa::new();
    let proxy = Proxy::start();
    let url = format!("http://{}", proxy.addr);
    for api in [
        vec!["--endpoint-url".to_string(), server.uri()],
        vec![
            "--api".into(),
            "oauth2".into(),
            "--domain".into(),
            server.uri(),
        ],
    ] {
        let mut cmd = refresh(&ca, &strs(&api));
        for variable in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "HTTPS_PROXY"] {
            cmd.env(variable, &url);
        }
        // The stub answers Cognito's JSON to both: the token endpoint's refresh fails on it,
        // after the request went where it should.
        let _ = cmd.output().unwrap();
    }
    assert_eq!(proxy.connections(), 0);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[test]
fn a_proxy_that_cannot_be_reached_is_named_in_the_error_and_its_hint() {
    let ca = TestCa::new();
    let stub = ca.stub();
    let down = format!("127.0.0.1:{}", free_port());
    for api in both_apis(&stub) {
        let mut cmd = refresh(&ca, &strs(&api));
        cmd.env("HTTPS_PROXY", format!("http://bob:{PROXY_PASSWORD}@{down}"))
            .args(["--timeout", "5"]);
        let out = run_failing(&mut cmd, 5, &[PROXY_PASSWORD, RT]);
        let err = stderr(&out);
        assert!(
            err.contains(&format!("through the proxy http://{down}:")),
            "{err}"
        );
        assert!(
            err.contains("hint: the request went through the proxy"),
            "{err}"
        );
    }
}

/// The certificate files a refresh (`-v refresh ARGS`, with `env` and the stubs' refresh
/// token) opened, as strace saw them: every path under /etc/ssl, /etc/pki or `ca`'s directory,
/// once per open; and its output. Asserts the refresh's exit code.
fn certificate_opens(
    ca: &TestCa,
    args: &[&str],
    env: &[(&str, &str)],
    code: i32,
) -> (Vec<String>, std::process::Output) {
    let strace = std::process::Command::new("strace").arg("-V").output();
    assert!(
        strace.is_ok_and(|o| o.status.success()),
        "the files a refresh opens are counted with strace (Debian's strace): install it"
    );
    let log = tempfile::NamedTempFile::new().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = assert_cmd::Command::new("strace");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("COGNITO_REFRESH_TOKEN", RT)
        .envs(env.iter().copied())
        .args(["-f", "-qq", "-e", "trace=openat,open", "-o"])
        .arg(log.path())
        .arg(assert_cmd::cargo::cargo_bin("cognito-refresh"))
        .args(wire::REFRESH_VERBOSE)
        .args(args);
    let out = run(&mut cmd, code);
    let ca_dir = ca.dir.path().display().to_string();
    let opened = std::fs::read_to_string(log.path())
        .unwrap()
        .lines()
        .filter_map(|l| l.split('"').nth(1))
        .filter(|path| {
            ["/etc/ssl", "/etc/pki", &ca_dir]
                .iter()
                .any(|d| path.starts_with(d))
        })
        .map(str::to_string)
        .collect();
    (opened, out)
}

/// A refresh against a plain-http endpoint reads no certificate file, on either path; one over
/// TLS reads the trusted roots once, through three attempts.
#[tokio::test]
async fn tls_roots_are_read_once_and_only_for_tls() {
    let server = wire::answering(wire::auth_result(wire::tokens())).await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(token_endpoint_answer(), "application/json"),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    let ca = TestCa::new();
    let ca_file = ca.cert_file().display().to_string();
    for args in [
        ["--endpoint-url", &server.uri()],
        ["--domain", &server.uri()],
    ] {
        let api: &[&str] = match args[0] {
            "--domain" => &["--api", "oauth2"],
            _ => &[],
        };
        let trust = [("SSL_CERT_FILE", ca_file.as_str())];
        let (opened, _) = certificate_opens(&ca, &[api, &args[..]].concat(), &trust, 0);
        assert_eq!(opened, Vec::<String>::new(), "{args:?}");
    }
    // Over TLS, to a proxy that is down: three attempts, one reading of the roots.
    let down = format!("http://127.0.0.1:{}", free_port());
    let stub = ca.stub();
    for api in both_apis(&stub) {
        let env = [("SSL_CERT_FILE", ca_file.as_str()), ("HTTPS_PROXY", &down)];
        let (opened, out) = certificate_opens(&ca, &strs(&api), &env, 5);
        assert_eq!(opened, vec![ca_file.clone()], "{api:?}");
        assert_stderr_contains(
            &out,
            &format!("trusting the certificates of SSL_CERT_FILE ({ca_file})"),
        );
    }
}

/// Without SSL_CERT_FILE or SSL_CERT_DIR, a refresh over TLS reads the platform's bundle file
/// and nothing else: not the certificate directory beside it, file by file. (The stub's test CA
/// is not in it: the refresh fails as untrusted, exit 1, on either path.)
#[test]
fn the_platform_store_is_read_from_one_file() {
    let ca = TestCa::new();
    let stub = ca.stub();
    for api in both_apis(&stub) {
        let (opened, out) = certificate_opens(&ca, &strs(&api), &[], 1);
        assert_eq!(opened.len(), 1, "{api:?}: {opened:?}");
        assert!(std::path::Path::new(&opened[0]).is_file(), "{opened:?}");
        assert_stderr_contains(
            &out,
            &format!(
                "trusting the certificates of the platform's bundle {}",
                opened[0]
            ),
        );
        assert_stderr_contains(&out, "hint: the server's certificate is not trusted");
    }
}

/// A PEM block that holds no certificate: the SDK's client would stop the process on it.
fn not_a_certificate() -> String {
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        STANDARD.encode("not a certificate")
    )
}

/// A certificate that does not parse, in SSL_CERT_FILE or a file of SSL_CERT_DIR, is skipped:
/// the others are trusted, and each file of the directory is read once.
#[test]
fn certificates_that_do_not_parse_are_skipped() {
    let ca = TestCa::new();
    let stub = ca.stub();
    let ca_pem = std::fs::read_to_string(ca.cert_file()).unwrap();
    let bundle = ca.dir.path().join("bundle.pem");
    std::fs::write(&bundle, format!("{}{ca_pem}", not_a_certificate())).unwrap();
    let dir = ca.dir.path().join("certs");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("bogus.pem"), not_a_certificate()).unwrap();
    std::fs::write(dir.join("ca.pem"), &ca_pem).unwrap();
    std::os::unix::fs::symlink("ca.pem", dir.join("0123abcd.0")).unwrap();
    let (bundle, dir) = (bundle.display().to_string(), dir.display().to_string());
    for api in both_apis(&stub) {
        for trust in [
            ("SSL_CERT_FILE", bundle.as_str()),
            ("SSL_CERT_DIR", dir.as_str()),
        ] {
            let (opened, out) = certificate_opens(&ca, &strs(&api), &[trust], 0);
            assert!(!json_tokens(&out).access_token.is_empty());
            let files: Vec<&String> = opened.iter().filter(|p| *p != &dir).collect();
            assert_eq!(
                files.len(),
                1 + usize::from(trust.0 == "SSL_CERT_DIR"),
                "{opened:?}"
            );
        }
    }
}
