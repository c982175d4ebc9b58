//! Raw servers on 127.0.0.1 for the network tests: reading a request whole, an HTTPS stub
//! whose certificate a test CA signed (trusted through SSL_CERT_FILE), and an HTTP CONNECT
//! proxy that counts the connections it gets and the tunnels it opens.

use super::{jwt, wire};
use serde_json::json;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Reads a request whole: headers, then as many body bytes as Content-Length says. Returns its
/// head (request line and headers), or `None` when the client left first.
pub fn read_request(stream: &mut impl Read) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return Some(text[..end].to_string());
            }
        }
    }
}

/// An HTTP 200 answer of `content_type`, as bytes: `body` after the headers, whose
/// Content-Length is `length` (more than the body's, for a body cut short).
pub fn http_200(content_type: &str, length: usize, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n{body}"
    )
    .into_bytes()
}

/// Runs `openssl` in `dir` with `args` (split at spaces).
fn openssl(dir: &Path, args: &str) {
    let made = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args.split(' '))
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "openssl {args}: {}",
        String::from_utf8_lossy(&made.stderr)
    );
}

/// A test CA, and a server certificate for 127.0.0.1 that it signed.
pub struct TestCa {
    pub dir: tempfile::TempDir,
}

impl TestCa {
    pub fn new() -> TestCa {
        let dir = tempfile::tempdir().unwrap();
        let new_key = "-nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1";
        openssl(
            dir.path(),
            &format!("req -x509 -days 1 -subj /CN=test-ca {new_key} -keyout ca.key -out ca.pem"),
        );
        openssl(
            dir.path(),
            &format!("req -subj /CN=127.0.0.1 {new_key} -keyout server.key -out server.csr"),
        );
        std::fs::write(
            dir.path().join("server.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             extendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(
            dir.path(),
            "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
             -extfile server.ext -out server.pem",
        );
        TestCa { dir }
    }

    /// The CA's certificate, for SSL_CERT_FILE.
    pub fn cert_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// An HTTPS server on 127.0.0.1 with the certificate this CA signed, answering a refresh:
    /// the token endpoint's JSON at /oauth2/token, Cognito's AuthenticationResult elsewhere.
    /// Returns its address (`127.0.0.1:PORT`).
    pub fn stub(&self) -> String {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs = CertificateDer::pem_file_iter(self.dir.path().join("server.pem"))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(self.dir.path().join("server.key")).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let config = config.clone();
                std::thread::spawn(move || {
                    let tls = rustls::ServerConnection::new(config).unwrap();
                    let mut stream = rustls::StreamOwned::new(tls, tcp);
                    if let Some(head) = read_request(&mut stream) {
                        let _ = stream.write_all(&answer(&head));
                        let _ = stream.flush();
                        stream.conn.send_close_notify();
                        let _ = stream.flush();
                    }
                });
            }
        });
        addr
    }
}

/// The token endpoint's answer to a refresh: new tokens, valid an hour.
pub fn token_endpoint_answer() -> String {
    json!({
        "access_token": jwt::access_token(json!({})),
        "id_token": jwt::id_token(),
        "token_type": "Bearer",
        "expires_in": 3600,
    })
    .to_string()
}

/// The answer to a refresh whose request begins with `head`.
fn answer(head: &str) -> Vec<u8> {
    let body = match head.starts_with("POST /oauth2/token ") {
        true => token_endpoint_answer(),
        false => json!({"AuthenticationResult": wire::tokens()}).to_string(),
    };
    let content_type = match head.starts_with("POST /oauth2/token ") {
        true => "application/json",
        false => wire::CONTENT_TYPE,
    };
    http_200(content_type, body.len(), &body)
}

/// A tunnel an HTTP CONNECT proxy opened: where to, and the Proxy-Authorization it was given.
#[derive(Debug, Clone)]
pub struct Tunnel {
    pub target: String,
    pub authorization: Option<String>,
}

/// An HTTP proxy on 127.0.0.1 that answers `CONNECT host:port` with 200 and then splices bytes
/// both ways; anything else gets a 502. It counts every connection made to it.
pub struct Proxy {
    pub addr: String,
    connections: Arc<AtomicUsize>,
    tunnels: Arc<Mutex<Vec<Tunnel>>>,
}

impl Proxy {
    pub fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let connections = Arc::new(AtomicUsize::new(0));
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let (count, opened) = (connections.clone(), tunnels.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                let opened = opened.clone();
                std::thread::spawn(move || tunnel(client, &opened));
            }
        });
        Proxy {
            addr,
            connections,
            tunnels,
        }
    }

    /// Connections made to the proxy, tunnels or not.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn tunnels(&self) -> Vec<Tunnel> {
        self.tunnels.lock().unwrap().clone()
    }
}

fn tunnel(mut client: TcpStream, opened: &Mutex<Vec<Tunnel>>) {
    let Some(head) = read_request(&mut client) else {
        return;
    };
    let mut lines = head.lines();
    let request = lines.next().unwrap_or("").to_string();
    let Some(target) = request
        .strip_prefix("CONNECT ")
        .and_then(|r| r.split(' ').next())
    else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    let authorization = lines.find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("proxy-authorization")
            .then(|| value.trim().to_string())
    });
    opened.lock().unwrap().push(Tunnel {
        target: target.to_string(),
        authorization,
    });
    let Ok(mut upstream) = TcpStream::connect(target) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    let (mut client_in, mut upstream_out) =
        (client.try_clone().unwrap(), upstream.try_clone().unwrap());
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_in, &mut upstream_out);
        let _ = upstream_out.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut upstream, &mut client);
    let _ = client.shutdown(Shutdown::Write);
}
