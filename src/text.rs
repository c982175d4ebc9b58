//! Words for people that name the caller's settings without knowing how the caller spells them.
//!
//! The library tells what to change ("pass the device key eu-west-1_dev"), but a setting is a
//! flag to the command line, a field to a Lambda and a key to a config file. So library text
//! names each setting with a [`Setting`]; a [`Text`] holding it reads, through `Display`, with
//! the setting's concept ("the device key"), and a front end renders it in its own words with
//! [`Text::render`] (the command line: `--device-key`).

use std::borrow::Cow;
use std::fmt;

/// A setting the caller of the library gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Setting {
    ClientId,
    ClientSecret,
    RefreshToken,
    Username,
    DeviceKey,
    AccessToken,
    IdToken,
    Region,
    UserPoolId,
    EndpointUrl,
    Domain,
    Api,
    Timeout,
    ClientMetadata,
    /// Reading the app client's and user pool's settings with AWS credentials.
    Inspect,
    /// The AWS profile whose credentials inspecting uses.
    AwsProfile,
    /// The sign-in flow (USER_SRP_AUTH or USER_PASSWORD_AUTH).
    Flow,
    /// Remembering the device at sign-in.
    RememberDevice,
    /// The token store's directory.
    StoreDir,
    /// The identity pool that gives AWS credentials.
    IdentityPoolId,
    /// The IAM role asked of the identity pool.
    RoleArn,
}

const ALL: [Setting; 21] = [
    Setting::ClientId,
    Setting::ClientSecret,
    Setting::RefreshToken,
    Setting::Username,
    Setting::DeviceKey,
    Setting::AccessToken,
    Setting::IdToken,
    Setting::Region,
    Setting::UserPoolId,
    Setting::EndpointUrl,
    Setting::Domain,
    Setting::Api,
    Setting::Timeout,
    Setting::ClientMetadata,
    Setting::Inspect,
    Setting::AwsProfile,
    Setting::Flow,
    Setting::RememberDevice,
    Setting::StoreDir,
    Setting::IdentityPoolId,
    Setting::RoleArn,
];

/// Marks a setting inside text: private-use characters around its index, which no message
/// of Cognito's or of a user's contains.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

impl Setting {
    /// Every setting.
    pub fn all() -> &'static [Setting] {
        &ALL
    }

    /// What the setting is, in words: "the device key".
    pub fn concept(self) -> &'static str {
        match self {
            Setting::ClientId => "the app client id",
            Setting::ClientSecret => "the client secret",
            Setting::RefreshToken => "the refresh token",
            Setting::Username => "the username",
            Setting::DeviceKey => "the device key",
            Setting::AccessToken => "an access token of the session",
            Setting::IdToken => "an ID token of the session",
            Setting::Region => "the region",
            Setting::UserPoolId => "the user pool id",
            Setting::EndpointUrl => "the endpoint URL",
            Setting::Domain => "the user pool domain",
            Setting::Api => "the refresh API",
            Setting::Timeout => "the timeout",
            Setting::ClientMetadata => "client metadata",
            Setting::Inspect => "inspection of the app client's settings",
            Setting::AwsProfile => "the AWS profile",
            Setting::Flow => "the sign-in flow",
            Setting::RememberDevice => "remembering the device",
            Setting::StoreDir => "the token store directory",
            Setting::IdentityPoolId => "the identity pool id",
            Setting::RoleArn => "the role ARN",
        }
    }

    fn index(self) -> usize {
        ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

/// Inside a [`Text`], a placeholder that renders as the front end names the setting; anywhere
/// else, private-use characters. Format settings only into text that becomes a [`Text`].
impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{OPEN}{}{CLOSE}", self.index())
    }
}

/// Text for people in which settings are placeholders: `Display` names them as concepts,
/// [`Text::render`] as the front end says.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Text(String);

impl Text {
    /// The text with each setting named by `name`.
    pub fn render(&self, name: &dyn Fn(Setting) -> Cow<'static, str>) -> String {
        let mut out = String::with_capacity(self.0.len());
        let mut rest = self.0.as_str();
        while let Some(start) = rest.find(OPEN) {
            out.push_str(&rest[..start]);
            let after = &rest[start + OPEN.len_utf8()..];
            let Some(end) = after.find(CLOSE) else {
                rest = after;
                continue;
            };
            if let Some(setting) = after[..end].parse::<usize>().ok().and_then(|i| ALL.get(i)) {
                out.push_str(&name(*setting));
            }
            rest = &after[end + CLOSE.len_utf8()..];
        }
        out.push_str(rest);
        out
    }

    /// The settings the text names, in order.
    pub fn settings(&self) -> Vec<Setting> {
        let found = std::cell::RefCell::new(Vec::new());
        self.render(&|s| {
            found.borrow_mut().push(s);
            Cow::Borrowed("")
        });
        found.into_inner()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends more text.
    pub fn push_str(&mut self, more: &str) {
        self.0.push_str(more);
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(s)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(s.to_string())
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&|s| Cow::Borrowed(s.concept())))
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

impl serde::Serialize for Text {
    /// As `Display` does: settings named as concepts.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_as_concepts_or_as_the_front_end_names_them() {
        let t = Text::from(format!(
            "pass {} eu-west-1_dev, or {}",
            Setting::DeviceKey,
            Setting::AccessToken
        ));
        assert_eq!(
            t.to_string(),
            "pass the device key eu-west-1_dev, or an access token of the session"
        );
        let flags = |s: Setting| Cow::Owned(format!("--{s:?}").to_lowercase());
        assert_eq!(
            t.render(&flags),
            "pass --devicekey eu-west-1_dev, or --accesstoken"
        );
        assert_eq!(t.settings(), [Setting::DeviceKey, Setting::AccessToken]);
    }

    #[test]
    fn every_setting_round_trips() {
        for s in Setting::all() {
            let t = Text::from(format!("<{s}>"));
            assert_eq!(t.to_string(), format!("<{}>", s.concept()));
            assert_eq!(t.settings(), [*s]);
        }
    }

    #[test]
    fn plain_text_and_broken_markers_pass_through() {
        assert_eq!(Text::from("no settings").to_string(), "no settings");
        let broken = Text::from(format!("a{OPEN}99{CLOSE}b{OPEN}c"));
        assert_eq!(broken.to_string(), "abc");
    }
}
