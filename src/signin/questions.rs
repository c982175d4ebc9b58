//! What a sign-in asks the user, and the trait through which the caller answers.

use crate::Error;
use secrecy::SecretString;

/// What a sign-in needs from the user, asked through a [`Prompter`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Question {
    /// The user's password.
    Password,
    /// NEW_PASSWORD_REQUIRED: the user must choose a new password.
    NewPassword,
    /// SOFTWARE_TOKEN_MFA, SMS_MFA or EMAIL_OTP: a one-time code.
    Code {
        /// The challenge's name, e.g. `SOFTWARE_TOKEN_MFA`.
        challenge: String,
        /// Where the code was sent (masked by Cognito), for SMS and email.
        destination: Option<String>,
    },
    /// SELECT_MFA_TYPE: one of `choices` (`SMS_MFA`, `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`).
    MfaType { choices: Vec<String> },
}

impl Question {
    /// What is missing, for messages: "the password", "an MFA code (SOFTWARE_TOKEN_MFA)".
    pub fn describe(&self) -> String {
        match self {
            Question::Password => "the password".into(),
            Question::NewPassword => "a new password (NEW_PASSWORD_REQUIRED)".into(),
            Question::Code { challenge, .. } => format!("a one-time code ({challenge})"),
            Question::MfaType { choices } => {
                format!("a choice of MFA ({})", choices.join(", "))
            }
        }
    }
}

/// Answers the questions of a sign-in. Implementations read a terminal, files, flags or the
/// environment; an implementation that cannot answer returns an error saying what is missing.
pub trait Prompter {
    fn answer(&mut self, question: &Question) -> Result<SecretString, Error>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_describe_what_is_missing() {
        assert_eq!(Question::Password.describe(), "the password");
        let q = Question::Code {
            challenge: "SMS_MFA".into(),
            destination: Some("+*******1234".into()),
        };
        assert!(q.describe().contains("SMS_MFA"));
    }
}
