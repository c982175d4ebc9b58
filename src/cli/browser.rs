//! Opening the user's browser at an address: the commands `BROWSER` names, as xdg-open and
//! Python's webbrowser read it, else the system's opener (`xdg-open` where there is a display,
//! `open` on macOS, `start` through the URL handler on Windows).

use crate::cli::log::Log;
use std::ffi::OsString;
use std::process::{Command, Stdio};

/// The commands that may open `url`, in the order to try them: each `BROWSER` entry
/// (`:`-separated; `%s` stands for the address, else it comes last), else the system's
/// opener. None on a Linux or BSD machine without a display and without `BROWSER`.
pub fn openers(url: &str, env: &dyn Fn(&str) -> Option<OsString>) -> Vec<Vec<String>> {
    let text = |name: &str| {
        env(name)
            .and_then(|v| v.into_string().ok())
            .filter(|v| !v.trim().is_empty())
    };
    if let Some(browser) = text("BROWSER") {
        return browser
            .split(':')
            .filter_map(|entry| {
                let words: Vec<&str> = entry.split_whitespace().collect();
                if words.is_empty() {
                    return None;
                }
                let mut argv: Vec<String> = words.iter().map(|w| w.replace("%s", url)).collect();
                if !entry.contains("%s") {
                    argv.push(url.to_string());
                }
                Some(argv)
            })
            .collect();
    }
    if cfg!(target_os = "macos") {
        vec![vec!["open".into(), url.into()]]
    } else if cfg!(windows) {
        // `start`'s handler, without cmd.exe, which would read the `&` of the query as its own.
        vec![vec![
            "rundll32".into(),
            "url.dll,FileProtocolHandler".into(),
            url.into(),
        ]]
    } else if text("DISPLAY").is_some() || text("WAYLAND_DISPLAY").is_some() {
        vec![vec!["xdg-open".into(), url.into()]]
    } else {
        Vec::new()
    }
}

/// Starts the first opener that starts, with none of `secret_variables` in its environment
/// (a browser is no place for a refresh token or client secret). Returns whether one started;
/// the caller prints the address either way.
pub fn open(url: &str, secret_variables: &[String], log: &Log) -> bool {
    for argv in openers(url, &|name| std::env::var_os(name)) {
        let Some((program, args)) = argv.split_first() else {
            continue;
        };
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for name in secret_variables {
            command.env_remove(name);
        }
        match command.spawn() {
            // Not waited for: a browser started directly may run as long as the user keeps it.
            Ok(_child) => {
                log.info(&format!("started {program} to open the browser"));
                return true;
            }
            Err(e) => log.info(&format!("cannot start {program}: {e}")),
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn browser_entries_come_first_with_the_address_in_place() {
        let url = "https://auth.example.com/oauth2/authorize?a=1&b=2";
        let vars = [
            ("BROWSER", "firefox --new-window:lynx %s"),
            ("DISPLAY", ":0"),
        ];
        assert_eq!(
            openers(url, &env(&vars)),
            vec![
                vec!["firefox".to_string(), "--new-window".into(), url.into()],
                vec!["lynx".to_string(), url.into()],
            ]
        );
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn xdg_open_only_with_a_display() {
        let url = "https://a.example/";
        assert_eq!(
            openers(url, &env(&[("DISPLAY", ":0")])),
            vec![vec!["xdg-open".to_string(), url.into()]]
        );
        assert!(openers(url, &env(&[])).is_empty());
        assert!(openers(url, &env(&[("DISPLAY", " ")])).is_empty());
    }
}
