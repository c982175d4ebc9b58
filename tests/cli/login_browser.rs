//! `login --flow browser` against cognito-local's hosted UI (`/oauth2/authorize`: its login
//! form, registered redirect URIs, PKCE S256) and token endpoint: the test plays the browser
//! (or drives headless Chromium), the tool listens for the redirect on 127.0.0.1.

use crate::support::browser::{Chromium, Running, http, query, submit_login};
use crate::support::cognito_local;
use crate::support::cognito_local::LocalUser;
use crate::util::*;
use std::process::Command;
use std::time::Duration;

/// A redirect URI on a port that was just free, and the app client's user allowing it.
async fn user_allowing(redirect: &str) -> LocalUser {
    cognito_local().user(&[redirect.to_string()]).await
}

pub fn redirect_uri() -> String {
    format!("http://localhost:{}/callback", free_port())
}

/// `login --flow browser --profile web` for the user's client at cognito-local, with the
/// profiles' config file and store and nothing else of the environment.
fn login(profiles: &Profiles, user: &LocalUser, redirect: &str, extra: &[&str]) -> Command {
    let domain = &cognito_local().endpoint;
    let extra = [&["--profile", "web"], extra].concat();
    login_at(profiles, &user.client_id, domain, redirect, &extra)
}

/// `login --flow browser` for app client `client_id` at `domain`.
pub fn login_at(
    profiles: &Profiles,
    client_id: &str,
    domain: &str,
    redirect: &str,
    extra: &[&str],
) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("cognito-refresh"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", profiles.dir.path())
        .env("NO_PROXY", "*")
        .env("RUST_BACKTRACE", "1")
        .env("COGNITO_REFRESH_CONFIG", profiles.config())
        .env("COGNITO_REFRESH_STORE", profiles.store())
        .args(["login", "--flow", "browser"])
        .args(["--client-id", client_id])
        .args(["--domain", domain])
        .args(["--redirect-uri", redirect])
        .args(extra);
    cmd
}

/// Follows the hosted UI's redirect to the tool's listener: the page the browser shows.
fn follow(answer: &crate::support::browser::Answer) -> crate::support::browser::Answer {
    assert_eq!(answer.status, 302, "a redirect: {}", answer.body);
    http("GET", answer.location().unwrap(), None, None)
}

fn one_error_line(stderr: &str) {
    let errors = stderr
        .lines()
        .filter(|l| l.starts_with("cognito-refresh: error: "))
        .count();
    assert_eq!(errors, 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn browser_sign_in_saves_a_profile_that_refreshes_at_the_token_endpoint() {
    let redirect = redirect_uri();
    let user = user_allowing(&redirect).await;
    let profiles = Profiles::new();
    let running = Running::start(login(
        &profiles,
        &user,
        &redirect,
        &[
            "--no-browser",
            "--scope",
            "openid email",
            "--identity-provider",
            "COGNITO",
        ],
    ));
    let url = running.authorize_url();
    assert!(url.starts_with(&format!("{}/oauth2/authorize?", cognito_local().endpoint)));
    assert_eq!(query(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(
        query(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(query(&url, "code_challenge").map(|c| c.len()), Some(43));
    assert!(query(&url, "state").is_some_and(|s| s.len() >= 16));
    assert_eq!(
        query(&url, "redirect_uri").as_deref(),
        Some(redirect.as_str())
    );
    assert_eq!(query(&url, "scope").as_deref(), Some("openid email"));
    assert_eq!(query(&url, "identity_provider").as_deref(), Some("COGNITO"));

    let page = follow(&submit_login(&url, &user.username, &user.password));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("<title>Signed in</title>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("You can close this tab"),
        "{}",
        page.body
    );
    let (status, out, err) = running.finish(Duration::from_secs(30));
    assert!(status.success(), "{err}");
    assert!(out.is_empty(), "nothing on stdout without --print: {out}");
    assert!(err.contains("tokens saved for profile web"), "{err}");

    let config = std::fs::read_to_string(profiles.config()).unwrap();
    assert!(config.contains("api = \"oauth2\""), "{config}");
    assert!(config.contains(&format!("domain = \"{}\"", cognito_local().endpoint)));
    let entry = profiles.entry("web");
    let refresh_token = entry["refresh_token"].as_str().unwrap().to_string();
    assert!(!err.contains(&refresh_token), "{err}");
    assert_eq!(mode(&profiles.store_file("web")), 0o600);

    // `token` refreshes the session at the domain's token endpoint, from the profile alone.
    let out = run(
        profiles
            .cmd()
            .args(["-v", "token", "--profile", "web", "--force"]),
        0,
    );
    assert_stderr_contains(&out, "/oauth2/token");
    assert_eq!(claims(stdout(&out).trim())["client_id"], user.client_id);
    assert_no_secrets(&out, &[&refresh_token]);
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_and_the_sign_in_waits_for_the_right_one() {
    let redirect = redirect_uri();
    let user = user_allowing(&redirect).await;
    let profiles = Profiles::new();
    let running = Running::start(login(&profiles, &user, &redirect, &["--no-browser"]));
    let url = running.authorize_url();
    let refused = submit_login(&url, &user.username, "Wrong-Passw0rd!");
    assert_eq!(refused.status, 200, "the form again, no redirect");
    assert!(refused.location().is_none());
    assert!(
        refused.body.contains("Incorrect username or password"),
        "{}",
        refused.body
    );
    // The user tries again in the same tab.
    let page = follow(&submit_login(&url, &user.username, &user.password));
    assert_eq!(page.status, 200, "{}", page.body);
    let (status, _, err) = running.finish(Duration::from_secs(30));
    assert!(status.success(), "{err}");
    assert!(profiles.entry("web")["refresh_token"].is_string());
}

#[tokio::test]
async fn an_unregistered_redirect_uri_fails_before_a_browser_opens_and_says_what_to_register() {
    let registered = redirect_uri();
    let user = user_allowing(&registered).await;
    let profiles = Profiles::new();
    let unregistered = redirect_uri();
    // A browser that leaves a mark if it is ever started.
    let marker = profiles.dir.path().join("browser-started");
    let mut cmd = login(&profiles, &user, &unregistered, &[]);
    cmd.env("BROWSER", format!("touch {}", marker.display()));
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    one_error_line(&err);
    assert!(
        err.contains(&format!("does not allow the redirect URI {unregistered}")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "hint: add {unregistered} to the app client's allowed callback URLs"
        )),
        "{err}"
    );
    assert!(err.contains("--redirect-uri"), "{err}");
    assert!(!marker.exists(), "no browser was opened");
    assert!(!profiles.store_file("web").exists());
}

#[tokio::test]
async fn only_the_expected_callback_is_accepted_on_the_listener() {
    let redirect = redirect_uri();
    let user = user_allowing(&redirect).await;
    let profiles = Profiles::new();
    let running = Running::start(login(&profiles, &user, &redirect, &["--no-browser"]));
    let url = running.authorize_url();
    let state = query(&url, "state").unwrap();
    let base = redirect.trim_end_matches("/callback");

    // Another sign-in's redirect (or a forged one): refused with a page, and waited past.
    let wrong_state = http(
        "GET",
        &format!("{redirect}?code=stolen-code&state=not-{state}"),
        None,
        None,
    );
    assert_eq!(wrong_state.status, 400);
    assert!(
        wrong_state
            .body
            .contains("does not belong to the sign-in waiting here"),
        "{}",
        wrong_state.body
    );
    running.wait_for("without this sign-in's state");
    let no_state = http("GET", &format!("{redirect}?code=stolen-code"), None, None);
    assert_eq!(no_state.status, 400);
    // Another path, even with the right state.
    let wrong_path = http(
        "GET",
        &format!("{base}/other?code=c&state={state}"),
        None,
        None,
    );
    assert_eq!(wrong_path.status, 404);
    running.wait_for("a request for /other is not the sign-in's redirect");
    // Another method.
    let post = http(
        "POST",
        &format!("{redirect}?code=c&state={state}"),
        Some(""),
        None,
    );
    assert_eq!(post.status, 405);

    // The real redirect still ends the sign-in.
    let page = follow(&submit_login(&url, &user.username, &user.password));
    assert_eq!(page.status, 200, "{}", page.body);
    let (status, _, err) = running.finish(Duration::from_secs(30));
    assert!(status.success(), "{err}");
    assert!(!err.contains("stolen-code"), "{err}");
}

#[tokio::test]
async fn an_error_redirect_ends_the_sign_in_with_its_error() {
    let redirect = redirect_uri();
    let user = user_allowing(&redirect).await;
    let profiles = Profiles::new();
    let running = Running::start(login(&profiles, &user, &redirect, &["--no-browser", "-q"]));
    let url = running.authorize_url();
    let state = query(&url, "state").unwrap();
    // What Cognito sends when the user cancels at a federated provider.
    let page = http(
        "GET",
        &format!(
            "{redirect}?error=access_denied&error_description=User+cancelled+%3Cb%3Elogin%3C%2Fb%3E&state={state}"
        ),
        None,
        None,
    );
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("<title>Sign-in failed</title>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("access_denied: User cancelled &lt;b&gt;login&lt;/b&gt;"),
        "{}",
        page.body
    );
    let (status, _, err) = running.finish(Duration::from_secs(30));
    assert_eq!(status.code(), Some(3), "{err}");
    one_error_line(&err);
    assert!(
        err.contains("the sign-in in the browser failed: access_denied: User cancelled"),
        "{err}"
    );
    // -q drops the notices, never the address: without it there is no sign-in.
    assert!(!err.contains("waiting for the sign-in"), "{err}");
    assert!(!profiles.store_file("web").exists());
}

#[tokio::test]
async fn a_closed_tab_gives_up_after_the_timeout_with_one_line() {
    let redirect = redirect_uri();
    let user = user_allowing(&redirect).await;
    let profiles = Profiles::new();
    let running = Running::start(login(
        &profiles,
        &user,
        &redirect,
        &["--no-browser", "--timeout", "2"],
    ));
    // The user opens the address and closes the tab: nothing comes back.
    let _ = running.authorize_url();
    let (status, out, err) = running.finish(Duration::from_secs(20));
    assert_eq!(status.code(), Some(5), "{err}");
    one_error_line(&err);
    assert!(
        err.contains("no sign-in came back from the browser within 2 s"),
        "{err}"
    );
    assert!(err.contains("--timeout"), "{err}");
    assert!(out.is_empty());
    assert!(!profiles.store_file("web").exists());
}

/// A real browser: headless Chromium from the Debian packages, driven through chromedriver,
/// opened by the tool through BROWSER (the script only hands the address to the test).
#[tokio::test]
async fn headless_chromium_signs_in_through_the_hosted_ui() {
    let redirect = redirect_uri();
    let user = user_allowing(&redirect).await;
    let profiles = Profiles::new();
    let chromium = Chromium::start();
    let handed = profiles.dir.path().join("address");
    let opener = profiles.dir.path().join("open-browser");
    std::fs::write(
        &opener,
        format!(
            "#!/bin/sh\nprintf '%s' \"$1\" > {}.tmp && mv {0}.tmp {0}\n",
            handed.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut cmd = login(&profiles, &user, &redirect, &[]);
    cmd.env("BROWSER", &opener);
    let running = Running::start(cmd);
    running.wait_for("opened the browser to sign in");
    // The opener runs beside the tool: its file is there once it is done.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !handed.exists() {
        assert!(std::time::Instant::now() < deadline, "BROWSER was not run");
        std::thread::sleep(Duration::from_millis(50));
    }
    let url = std::fs::read_to_string(&handed).unwrap();
    assert_eq!(url, running.authorize_url());

    chromium.go(&url);
    chromium.type_into("input[name=username]", &user.username);
    chromium.type_into("input[name=password]", &user.password);
    chromium.click("button[type=submit]");
    chromium.wait_for_title("Signed in", Duration::from_secs(30));
    let text = chromium.text();
    assert!(
        text.contains("the session is saved for profile web"),
        "{text}"
    );
    assert!(text.contains("You can close this tab"), "{text}");
    assert!(
        chromium
            .current_url()
            .starts_with(&format!("{redirect}?code="))
    );
    let (status, _, err) = running.finish(Duration::from_secs(30));
    assert!(status.success(), "{err}");
    assert!(profiles.entry("web")["refresh_token"].is_string());
    eprintln!("the callback page in Chromium reads:\n{text}\n--- the terminal:\n{err}");
}
