//! Playing the browser in `login --flow browser`: a small HTTP/1.1 client for loopback servers
//! (cognito-local's hosted UI, the tool's listener, chromedriver), the tool run in the
//! background with its stderr read as it comes, and a WebDriver session of headless Chromium.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").map(String::as_str)
    }
}

/// One request to a loopback server (`localhost` is 127.0.0.1), read to its end.
pub fn http(method: &str, url: &str, form: Option<&str>, json: Option<&str>) -> Answer {
    let url = Url::parse(url).expect("a URL");
    let host = match url.host_str() {
        Some("localhost") => "127.0.0.1",
        Some(h) => h,
        None => panic!("no host in {url}"),
    };
    let port = url.port_or_known_default().unwrap();
    let mut stream = TcpStream::connect((host, port)).expect("the server accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let (content_type, body) = match (form, json) {
        (Some(f), _) => ("application/x-www-form-urlencoded", f),
        (None, Some(j)) => ("application/json", j),
        (None, None) => ("", ""),
    };
    let mut request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\
         Accept: text/html,application/json\r\n"
    );
    if !content_type.is_empty() || method == "POST" {
        request.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    parse_answer(&read_answer(&mut stream))
}

/// The answer's bytes: up to its Content-Length, the end of its chunks, or the end of the
/// connection (some servers keep it open despite `Connection: close`).
fn read_answer(stream: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|n| n.trim().parse::<usize>().ok());
            let body = &raw[split + 4..];
            let complete = match length {
                Some(n) => body.len() >= n,
                None if head.contains("transfer-encoding: chunked") => body.ends_with(b"0\r\n\r\n"),
                None => false,
            };
            if complete {
                return raw;
            }
        }
        let n = stream.read(&mut chunk).expect("the answer");
        if n == 0 {
            return raw;
        }
        raw.extend_from_slice(&chunk[..n]);
    }
}

fn parse_answer(raw: &[u8]) -> Answer {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if headers.get("transfer-encoding").map(String::as_str) == Some("chunked") {
        body = unchunk(&body);
    }
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn unchunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
    out
}

/// The hidden inputs of cognito-local's login form, by name.
pub fn form_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input")
        .skip(1)
        .filter_map(|tag| {
            let attr = |name: &str| {
                let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
                let end = tag[start..].find('"')? + start;
                Some(tag[start..end].to_string())
            };
            Some((attr("name")?, attr("value")?))
        })
        .collect()
}

/// What the browser does at the hosted UI: opens the authorize URL, fills in the login form and
/// submits it. Returns cognito-local's answer to the form: a redirect to the listener, or the
/// form again.
pub fn submit_login(authorize_url: &str, username: &str, password: &str) -> Answer {
    let page = http("GET", authorize_url, None, None);
    assert_eq!(page.status, 200, "the login form: {}", page.body);
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_fields(&page.body) {
        form.append_pair(&name, &value);
    }
    form.append_pair("username", username)
        .append_pair("password", password);
    let mut action = Url::parse(authorize_url).unwrap();
    action.set_query(None);
    http("POST", action.as_str(), Some(&form.finish()), None)
}

/// `login --flow browser` running in the background, its stderr collected line by line.
pub struct Running {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    new_line: Receiver<String>,
}

impl Running {
    /// Starts `command` (stdout and stderr piped).
    pub fn start(mut command: Command) -> Running {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, new_line) = channel();
        let kept = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                kept.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        Running {
            child,
            lines,
            new_line,
        }
    }

    /// The address the tool says to open.
    pub fn authorize_url(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(line) = self.new_line.recv_timeout(Duration::from_millis(100))
                && let Some(url) = line.strip_prefix("  ")
                && url.starts_with("http")
            {
                return url.to_string();
            }
        }
        panic!("no address to open on stderr: {}", self.stderr());
    }

    /// Waits until stderr has a line containing `text`.
    pub fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.stderr().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("stderr never said {text:?}: {}", self.stderr());
    }

    pub fn stderr(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Waits for the exit (at most `limit`): its status, stdout, stderr.
    pub fn finish(mut self, limit: Duration) -> (ExitStatus, String, String) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("still running after {limit:?}: {}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        // The reader thread ends at EOF, after the process.
        std::thread::sleep(Duration::from_millis(100));
        (status, out, self.stderr())
    }
}

/// A test that fails midway leaves no sign-in waiting.
impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A query parameter of a URL.
pub fn query(url: &str, key: &str) -> Option<String> {
    Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// Headless Chromium driven through chromedriver's WebDriver API, started on a free port with
/// a profile directory of its own; both stop when this is dropped.
pub struct Chromium {
    driver: Child,
    base: String,
    session: String,
    /// The browser's process id, as chromedriver reports it: stopped on drop should the
    /// session's end not stop it.
    browser_pid: Option<u64>,
    _profile: tempfile::TempDir,
}

/// The Debian packages' paths (`.ci/run` installs chromium and chromium-driver).
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

impl Chromium {
    pub fn start() -> Chromium {
        for exe in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(exe).exists(),
                "{exe} is missing: install the Debian packages chromium and chromium-driver \
                 (.ci/run does)"
            );
        }
        let port = crate::util::free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver never listened");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let args = serde_json::json!([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            format!("--user-data-dir={}", profile.path().display()),
        ]);
        let capabilities = serde_json::json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let mut chromium = Chromium {
            driver,
            base,
            session: String::new(),
            browser_pid: None,
            _profile: profile,
        };
        let created = chromium.call("POST", "/session", Some(capabilities));
        chromium.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
            .to_string();
        chromium.browser_pid = created["capabilities"]["goog:processID"].as_u64();
        chromium
    }

    fn call(&self, method: &str, path: &str, body: Option<serde_json::Value>) -> serde_json::Value {
        let body = body.map(|b| b.to_string());
        let answer = http(
            method,
            &format!("{}{path}", self.base),
            None,
            body.as_deref().or((method == "POST").then_some("{}")),
        );
        let value: serde_json::Value =
            serde_json::from_str(&answer.body).unwrap_or_else(|_| panic!("{}", answer.body));
        assert_eq!(answer.status, 200, "{method} {path}: {value}");
        value["value"].clone()
    }

    fn session_call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    pub fn go(&self, url: &str) {
        self.session_call("POST", "/url", Some(serde_json::json!({"url": url})));
    }

    fn element(&self, css: &str) -> String {
        let found = self.session_call(
            "POST",
            "/element",
            Some(serde_json::json!({"using": "css selector", "value": css})),
        );
        found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_string()
    }

    /// Types `text` into the element `css` selects.
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.session_call(
            "POST",
            &format!("/element/{id}/value"),
            Some(serde_json::json!({"text": text})),
        );
    }

    pub fn click(&self, css: &str) {
        let id = self.element(css);
        self.session_call("POST", &format!("/element/{id}/click"), None);
    }

    pub fn title(&self) -> String {
        self.session_call("GET", "/title", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn current_url(&self) -> String {
        self.session_call("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The page's text, as the user reads it.
    pub fn text(&self) -> String {
        let body = self.element("body");
        self.session_call("GET", &format!("/element/{body}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits until the page's title is `title`.
    pub fn wait_for_title(&self, title: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.title() != title {
            assert!(
                Instant::now() < deadline,
                "the page never became {title:?}: at {} it reads {:?}",
                self.current_url(),
                self.text()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.call("DELETE", &format!("/session/{}", self.session), None)
            }));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        if let Some(pid) = self.browser_pid {
            let _ = Command::new("kill")
                .arg(pid.to_string())
                .stderr(Stdio::null())
                .status();
        }
    }
}
