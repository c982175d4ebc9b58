//! The answers to the challenges of a sign-in: the SRP proofs of the user's password and of a
//! remembered device, a new password, MFA codes and the choice of MFA.

use super::devices::RememberedDevice;
use super::questions::{Prompter, Question};
use super::srp::{self, Identity, ServerChallenge, SrpClient};
use crate::tokens::Note;
use crate::{Error, ErrorKind};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;

/// Challenge responses: the values are sent, never shown.
pub type Responses = Vec<(&'static str, SecretString)>;

/// Answers the challenges of one sign-in, and keeps what that needs from one round to the next:
/// the user's password, the remembered device, and the SRP exchanges under way.
#[derive(Debug)]
pub struct Responder<'a> {
    password: SecretString,
    /// The user pool id's part after `_`: the realm of the user's password in SRP.
    pool_short: Option<String>,
    device: Option<&'a RememberedDevice>,
    /// The USER_SRP_AUTH exchange InitiateAuth began.
    srp: Option<SrpClient>,
    /// The exchange the answer to DEVICE_SRP_AUTH began.
    device_srp: Option<SrpClient>,
    /// The new password NEW_PASSWORD_REQUIRED was answered with.
    new_password: Option<SecretString>,
    /// The last MFA code sent.
    code: Option<SecretString>,
}

impl<'a> Responder<'a> {
    pub fn new(
        password: SecretString,
        pool_short: Option<String>,
        device: Option<&'a RememberedDevice>,
    ) -> Self {
        Responder {
            password,
            pool_short,
            device,
            srp: None,
            device_srp: None,
            new_password: None,
            code: None,
        }
    }

    /// The user's password.
    pub fn password(&self) -> &SecretString {
        &self.password
    }

    /// Begins USER_SRP_AUTH: returns SRP_A, for InitiateAuth.
    pub fn begin_srp(&mut self) -> Result<String, Error> {
        let srp = SrpClient::new()?;
        let srp_a = srp.srp_a();
        self.srp = Some(srp);
        Ok(srp_a)
    }

    /// Every secret the answers send, to be kept out of anything that comes back.
    pub fn secrets(&self) -> Vec<&SecretString> {
        let mut secrets = vec![&self.password];
        secrets.extend(&self.new_password);
        secrets.extend(&self.code);
        secrets.extend(self.device.map(|d| &d.device_password));
        secrets
    }

    /// The responses to the challenge `name`, for the user Cognito last named `username`
    /// (SECRET_HASH aside).
    pub fn respond(
        &mut self,
        name: &str,
        username: &str,
        params: &HashMap<String, String>,
        prompter: &mut dyn Prompter,
        notes: &mut Vec<Note>,
    ) -> Result<Responses, Error> {
        let mut r: Responses = vec![("USERNAME", plain(username))];
        match name {
            "PASSWORD_VERIFIER" => {
                let srp = self.srp.as_ref().ok_or_else(|| {
                    unexpected(
                        name,
                        "it answers USER_SRP_AUTH, and this sign-in did not start it",
                    )
                })?;
                let realm = self
                    .pool_short
                    .as_deref()
                    .ok_or_else(|| Error::usage("PASSWORD_VERIFIER needs the user pool id"))?;
                let user = param(params, name, "USER_ID_FOR_SRP")?;
                let identity = Identity {
                    realm,
                    user,
                    password: &self.password,
                };
                r.extend(verify(srp, identity, params, name)?);
                if let Some(d) = self.device {
                    r.push(("DEVICE_KEY", plain(&d.device_key)));
                }
            }
            "DEVICE_SRP_AUTH" => {
                let key = self.device(name)?.device_key.clone();
                let srp = SrpClient::new()?;
                r.push(("DEVICE_KEY", plain(&key)));
                r.push(("SRP_A", plain(&srp.srp_a())));
                self.device_srp = Some(srp);
                notes.push(Note::Info(format!(
                    "answering DEVICE_SRP_AUTH with the remembered device {key}"
                )));
            }
            "DEVICE_PASSWORD_VERIFIER" => {
                let device = self.device(name)?;
                let srp = self
                    .device_srp
                    .as_ref()
                    .ok_or_else(|| unexpected(name, "DEVICE_SRP_AUTH did not come first"))?;
                let identity = Identity {
                    realm: &device.device_group_key,
                    user: &device.device_key,
                    password: &device.device_password,
                };
                r.push(("DEVICE_KEY", plain(&device.device_key)));
                r.extend(verify(srp, identity, params, name)?);
            }
            "NEW_PASSWORD_REQUIRED" => {
                let required = required_attributes(params);
                if !required.is_empty() {
                    return Err(Error::new(
                        ErrorKind::Other,
                        format!(
                            "NEW_PASSWORD_REQUIRED also asks for the attributes {}, which this \
                             tool cannot supply",
                            required.join(", ")
                        ),
                    )
                    .with_hint(
                        "set them for the user with the AWS console or CLI, then sign in again",
                    ));
                }
                let new = prompter.answer(&Question::NewPassword)?;
                if new.expose_secret().is_empty() {
                    return Err(Error::usage("the new password is empty"));
                }
                r.push(("NEW_PASSWORD", new.clone()));
                self.new_password = Some(new);
            }
            "SOFTWARE_TOKEN_MFA" | "SMS_MFA" | "EMAIL_OTP" => {
                let code = prompter.answer(&Question::Code {
                    challenge: name.to_string(),
                    destination: params.get("CODE_DELIVERY_DESTINATION").cloned(),
                })?;
                let code = SecretString::from(code.expose_secret().trim().to_string());
                if code.expose_secret().is_empty() {
                    return Err(Error::usage(format!("the {name} code is empty")));
                }
                let key = match name {
                    "SOFTWARE_TOKEN_MFA" => "SOFTWARE_TOKEN_MFA_CODE",
                    "SMS_MFA" => "SMS_MFA_CODE",
                    _ => "EMAIL_OTP_CODE",
                };
                r.push((key, code.clone()));
                self.code = Some(code);
            }
            "SELECT_MFA_TYPE" => {
                let choices = mfa_choices(params);
                let choice = prompter.answer(&Question::MfaType {
                    choices: choices.clone(),
                })?;
                let choice = choice.expose_secret().trim();
                if !choices.is_empty() && !choices.iter().any(|c| c == choice) {
                    return Err(Error::usage(format!(
                        "MFA type {choice:?} is not one Cognito offers ({})",
                        choices.join(", ")
                    )));
                }
                r.push(("ANSWER", plain(choice)));
            }
            "MFA_SETUP" => {
                return Err(Error::new(
                    ErrorKind::Other,
                    "Cognito asks to set up MFA (MFA_SETUP), which this tool cannot do",
                )
                .with_hint(
                    "set up an authenticator app or phone number for the user first (Amplify, the \
                     hosted UI, or AssociateSoftwareToken), then sign in again",
                ));
            }
            other => {
                return Err(Error::new(
                    ErrorKind::Other,
                    format!(
                        "Cognito asks for the challenge {other}, which this tool cannot answer"
                    ),
                ));
            }
        }
        Ok(r)
    }

    fn device(&self, challenge: &str) -> Result<&'a RememberedDevice, Error> {
        self.device
            .ok_or_else(|| unexpected(challenge, "no remembered device was sent"))
    }
}

/// The answer to PASSWORD_VERIFIER or DEVICE_PASSWORD_VERIFIER: `identity` (the user, or the
/// remembered device) signs the server's SECRET_BLOCK with the key of the exchange `srp` began.
fn verify(
    srp: &SrpClient,
    identity: Identity<'_>,
    params: &HashMap<String, String>,
    challenge: &str,
) -> Result<Responses, Error> {
    let block = param(params, challenge, "SECRET_BLOCK")?;
    let ts = srp::timestamp(time::OffsetDateTime::now_utc());
    let signature = srp.signature(
        identity,
        &ServerChallenge {
            srp_b: param(params, challenge, "SRP_B")?,
            salt: param(params, challenge, "SALT")?,
            secret_block: block,
        },
        &ts,
    )?;
    Ok(vec![
        ("PASSWORD_CLAIM_SECRET_BLOCK", plain(block)),
        ("PASSWORD_CLAIM_SIGNATURE", signature),
        ("TIMESTAMP", plain(&ts)),
    ])
}

/// A response that is no secret, in the type all responses share.
fn plain(value: &str) -> SecretString {
    SecretString::from(value.to_string())
}

fn unexpected(challenge: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::Other,
        format!("Cognito asks for {challenge}, but {why}"),
    )
}

fn param<'p>(
    params: &'p HashMap<String, String>,
    challenge: &str,
    name: &str,
) -> Result<&'p str, Error> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Other,
                format!("the {challenge} challenge has no {name}"),
            )
        })
}

/// `requiredAttributes` of NEW_PASSWORD_REQUIRED: a JSON list like `["userAttributes.email"]`.
fn required_attributes(params: &HashMap<String, String>) -> Vec<String> {
    params
        .get("requiredAttributes")
        .and_then(|v| serde_json::from_str::<Vec<String>>(v).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.trim_start_matches("userAttributes.").to_string())
        .collect()
}

/// `MFAS_CAN_CHOOSE` of SELECT_MFA_TYPE: a JSON list like `["SMS_MFA","SOFTWARE_TOKEN_MFA"]`.
fn mfa_choices(params: &HashMap<String, String>) -> Vec<String> {
    params
        .get("MFAS_CAN_CHOOSE")
        .and_then(|v| serde_json::from_str::<Vec<String>>(v).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_parameters_are_parsed() {
        let mut p = HashMap::new();
        p.insert(
            "requiredAttributes".to_string(),
            r#"["userAttributes.email","userAttributes.name"]"#.to_string(),
        );
        p.insert(
            "MFAS_CAN_CHOOSE".to_string(),
            r#"["SMS_MFA","SOFTWARE_TOKEN_MFA"]"#.to_string(),
        );
        assert_eq!(required_attributes(&p), vec!["email", "name"]);
        assert_eq!(mfa_choices(&p), vec!["SMS_MFA", "SOFTWARE_TOKEN_MFA"]);
        p.insert("requiredAttributes".to_string(), "[]".to_string());
        assert!(required_attributes(&p).is_empty());
        assert!(param(&p, "X", "SRP_B").is_err());
    }
}
