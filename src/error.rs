//! Errors of the core, each with the kind that decides the exit code and hints for the user.

use std::fmt;

/// What kind of failure this is: it decides the exit code and what the user should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Missing, conflicting or malformed input, or local configuration (no region, a refused
    /// endpoint, an unreadable file). Exit 2.
    Usage,
    /// The refresh token cannot be used: it is invalid, expired, revoked, rotated out, or its
    /// user is gone. Sign in again. At sign-in: the password or code was refused. Exit 3.
    TokenRejected,
    /// The request is misconfigured: secret hash problems, unknown client or pool, invalid
    /// parameters. Exit 4.
    Misconfigured,
    /// The network, a timeout, throttling or a server error, after retries. Try again. Exit 5.
    Transient,
    /// Anything else. Exit 1.
    Other,
}

impl ErrorKind {
    /// The process exit code documented for this kind.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Other => 1,
            ErrorKind::Usage => 2,
            ErrorKind::TokenRejected => 3,
            ErrorKind::Misconfigured => 4,
            ErrorKind::Transient => 5,
        }
    }
}

/// An error of the core. Its message never contains a secret.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    /// The modeled Cognito exception, e.g. `NotAuthorizedException`, when the service answered.
    code: Option<String>,
    message: String,
    hints: Vec<String>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            code: None,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Usage, message)
    }

    /// An error the Cognito service answered with.
    pub fn service(kind: ErrorKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            kind,
            code: Some(code.into()),
            message: message.into(),
            hints: Vec::new(),
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The Cognito exception name, when the service answered.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The message alone, without the exception name.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What to check or do, one sentence each.
    pub fn hints(&self) -> &[String] {
        &self.hints
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.code, self.message.is_empty()) {
            (Some(code), true) => write!(f, "{code} (no message)"),
            (Some(code), false) => write!(f, "{code}: {}", self.message),
            (None, _) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_the_documented_ones() {
        assert_eq!(ErrorKind::Other.exit_code(), 1);
        assert_eq!(ErrorKind::Usage.exit_code(), 2);
        assert_eq!(ErrorKind::TokenRejected.exit_code(), 3);
        assert_eq!(ErrorKind::Misconfigured.exit_code(), 4);
        assert_eq!(ErrorKind::Transient.exit_code(), 5);
    }

    #[test]
    fn display_names_the_exception() {
        let e = Error::service(
            ErrorKind::TokenRejected,
            "NotAuthorizedException",
            "Invalid Refresh Token.",
        );
        assert_eq!(
            e.to_string(),
            "NotAuthorizedException: Invalid Refresh Token."
        );
        let e = Error::service(ErrorKind::TokenRejected, "NotAuthorizedException", "");
        assert_eq!(e.to_string(), "NotAuthorizedException (no message)");
        assert_eq!(Error::usage("no region").to_string(), "no region");
    }
}
