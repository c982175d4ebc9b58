//! Answers to what a sign-in asks, for `login`: from files, flags and the environment first,
//! then, only when standard input is a terminal, from a prompt that does not echo.

use crate::cli::input::{StdinOnce, env_var, read_secret};
use cognito_refresh::signin::{Prompter, Question};
use cognito_refresh::{Error as CoreError, ExposeSecret, SecretString};
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::PathBuf;

/// Where `login`'s answers come from.
pub struct CliPrompter {
    pub password_file: Option<PathBuf>,
    pub new_password_file: Option<PathBuf>,
    /// Used for the first code challenge only: a code is good once.
    pub mfa_code: Option<SecretString>,
    /// SELECT_MFA_TYPE's answer: SOFTWARE_TOKEN_MFA, SMS_MFA or EMAIL_OTP.
    pub mfa_type: Option<&'static str>,
    pub stdin: StdinOnce,
    /// Whether standard input is a terminal: prompts are shown only then.
    pub interactive: bool,
}

impl CliPrompter {
    pub fn new() -> Self {
        CliPrompter {
            password_file: None,
            new_password_file: None,
            mfa_code: None,
            mfa_type: None,
            stdin: StdinOnce::default(),
            interactive: std::io::stdin().is_terminal(),
        }
    }

    fn file_or_env(
        &mut self,
        file: Option<PathBuf>,
        env: &str,
        what: &'static str,
    ) -> Result<Option<SecretString>, CoreError> {
        let value = env_var(env).map(SecretString::from);
        read_secret(file.as_deref(), value, what, &mut self.stdin).map_err(|e| {
            e.downcast::<CoreError>()
                .unwrap_or_else(|e| CoreError::usage(format!("{e:#}")))
        })
    }

    fn missing(&self, question: &Question, how: &str) -> CoreError {
        let why = if self.interactive {
            "nothing was entered"
        } else {
            "standard input is not a terminal, so there is no prompt"
        };
        CoreError::usage(format!(
            "Cognito needs {} and {why}: {how}",
            question.describe()
        ))
    }
}

impl Prompter for CliPrompter {
    fn answer(&mut self, question: &Question) -> Result<SecretString, CoreError> {
        match question {
            Question::Password => {
                let file = self.password_file.take();
                if let Some(p) = self.file_or_env(file, "COGNITO_PASSWORD", "password")? {
                    return Ok(p);
                }
                self.secret_prompt("Password: ", question).and_then(|p| {
                    p.ok_or_else(|| {
                        self.missing(
                            question,
                            "pass --password-file PATH (- for standard input) or set \
                             COGNITO_PASSWORD",
                        )
                    })
                })
            }
            Question::NewPassword => {
                let file = self.new_password_file.take();
                if let Some(p) = self.file_or_env(file, "COGNITO_NEW_PASSWORD", "new password")? {
                    return Ok(p);
                }
                let how = "pass --new-password-file PATH (- for standard input) or set \
                           COGNITO_NEW_PASSWORD";
                let first = self
                    .secret_prompt("New password (Cognito requires a new one): ", question)?
                    .ok_or_else(|| self.missing(question, how))?;
                let again = self
                    .secret_prompt("New password again: ", question)?
                    .ok_or_else(|| self.missing(question, how))?;
                if first.expose_secret() != again.expose_secret() {
                    return Err(CoreError::usage("the two new passwords differ"));
                }
                Ok(first)
            }
            Question::Code {
                challenge,
                destination,
            } => {
                if let Some(code) = self.mfa_code.take() {
                    return Ok(code);
                }
                let prompt = match (challenge.as_str(), destination) {
                    ("SOFTWARE_TOKEN_MFA", _) => "Code from the authenticator app: ".to_string(),
                    (_, Some(to)) => format!("Code sent to {to}: "),
                    (name, None) => format!("Code ({name}): "),
                };
                self.secret_prompt(&prompt, question)?
                    .ok_or_else(|| self.missing(question, "pass --mfa-code CODE"))
            }
            Question::MfaType { choices } => {
                if let Some(t) = self.mfa_type {
                    return Ok(SecretString::from(t));
                }
                if let [only] = choices.as_slice() {
                    return Ok(SecretString::from(only.clone()));
                }
                self.choice_prompt(choices)?
                    .ok_or_else(|| self.missing(question, "pass --mfa-type totp, sms or email"))
            }
            // A question the library learned after this binary was written.
            _ => Err(CoreError::usage(format!(
                "Cognito needs {}, which this version cannot ask for",
                question.describe()
            ))),
        }
    }
}

impl CliPrompter {
    /// A no-echo prompt on the terminal; `None` without one, or when nothing was entered.
    fn secret_prompt(
        &self,
        prompt: &str,
        question: &Question,
    ) -> Result<Option<SecretString>, CoreError> {
        if !self.interactive {
            return Ok(None);
        }
        let answer = rpassword::prompt_password(prompt).map_err(|e| {
            CoreError::usage(format!(
                "cannot read {} from the terminal: {e}",
                question.describe()
            ))
        })?;
        let answer = SecretString::from(answer.trim().to_string());
        Ok((!answer.expose_secret().is_empty()).then_some(answer))
    }

    /// Asks on the terminal which MFA to use; `None` without a terminal.
    fn choice_prompt(&self, choices: &[String]) -> Result<Option<SecretString>, CoreError> {
        if !self.interactive {
            return Ok(None);
        }
        let fail = |e: std::io::Error| CoreError::usage(format!("cannot use the terminal: {e}"));
        let tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .map_err(fail)?;
        let mut out = &tty;
        let mut text = String::from("Cognito offers these kinds of MFA:\n");
        for (i, c) in choices.iter().enumerate() {
            text.push_str(&format!("  {}) {c}\n", i + 1));
        }
        text.push_str("Which one (number)? ");
        out.write_all(text.as_bytes()).map_err(fail)?;
        let mut line = String::new();
        BufReader::new(&tty).read_line(&mut line).map_err(fail)?;
        let picked = line
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| choices.get(i));
        match picked {
            Some(c) => Ok(Some(SecretString::from(c.clone()))),
            None => Err(CoreError::usage(format!(
                "{:?} is not one of the numbers offered",
                line.trim()
            ))),
        }
    }
}
