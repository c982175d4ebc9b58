//! Sign-in and sign-out: USER_SRP_AUTH or USER_PASSWORD_AUTH and the challenges that follow,
//! remembered devices (ConfirmDevice, DEVICE_SRP_AUTH), ForgetDevice, RevokeToken and
//! GlobalSignOut.
//!
//! The core never prints and never reads a terminal: whatever a challenge needs from the user
//! (the password, a new password, an MFA code, a choice of MFA) is asked through a [`Prompter`]
//! the caller supplies.

pub mod browser;
mod challenges;
mod devices;
mod questions;
mod session;
pub mod srp;

pub use devices::{RememberedDevice, confirm_device, forget_device};
pub use questions::{Prompter, Question};
pub use session::{global_sign_out, revoke_token};

use crate::api::classify::{Context, Operation};
use crate::api::connection::Connection;
pub use crate::api::connection::Target;
use crate::builder::{optional_setters, setters};
use crate::secret_hash::secret_hash;
use crate::text::Setting;
use crate::tokens::{Note, Tokens};
use crate::{Error, ErrorKind};
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::operation::admin_initiate_auth::AdminInitiateAuthOutput;
use aws_sdk_cognitoidentityprovider::operation::admin_respond_to_auth_challenge::AdminRespondToAuthChallengeOutput;
use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthOutput;
use aws_sdk_cognitoidentityprovider::operation::respond_to_auth_challenge::RespondToAuthChallengeOutput;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType};
use challenges::{Responder, Responses};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;

/// How the password is proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Flow {
    /// USER_SRP_AUTH: the password never leaves the machine. Needed for remembered devices.
    #[default]
    Srp,
    /// USER_PASSWORD_AUTH: the password is sent (over TLS) to Cognito.
    Password,
    /// ADMIN_USER_PASSWORD_AUTH through AdminInitiateAuth and AdminRespondToAuthChallenge,
    /// signed with AWS credentials: for backends. The password is sent (over TLS).
    AdminPassword,
}

impl Flow {
    pub fn auth_flow(self) -> &'static str {
        match self {
            Flow::Srp => "USER_SRP_AUTH",
            Flow::Password => "USER_PASSWORD_AUTH",
            Flow::AdminPassword => "ADMIN_USER_PASSWORD_AUTH",
        }
    }
}

/// Everything a sign-in needs besides the answers to its questions.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoginOptions {
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    /// The username, email or phone number the user signs in with.
    pub username: String,
    pub flow: Flow,
    /// A device remembered earlier: sent as DEVICE_KEY, and DEVICE_SRP_AUTH is answered with it.
    pub device: Option<RememberedDevice>,
    pub client_metadata: Vec<(String, String)>,
    /// The AWS profile whose credentials sign [`Flow::AdminPassword`]; `None`: the standard
    /// chain's default.
    pub aws_profile: Option<String>,
    pub target: Target,
}

impl LoginOptions {
    /// A sign-in of `username` (or an email or phone number alias) at app client `client_id`,
    /// with USER_SRP_AUTH, no secret and no remembered device, at `target`.
    pub fn new(client_id: impl Into<String>, username: impl Into<String>, target: Target) -> Self {
        LoginOptions {
            client_id: client_id.into(),
            client_secret: None,
            username: username.into(),
            flow: Flow::default(),
            device: None,
            client_metadata: Vec::new(),
            aws_profile: None,
            target,
        }
    }

    optional_setters! {
        client_secret, set_client_secret: SecretString => client_secret;
        /// A device remembered earlier.
        device, set_device: RememberedDevice => device;
        /// The AWS profile whose credentials sign an admin sign-in.
        aws_profile, set_aws_profile: String => aws_profile;
    }

    setters! {
        flow: Flow => flow;
        /// Keys and values for the user pool's Lambda triggers.
        set_client_metadata: Vec<(String, String)> => client_metadata;
    }

    /// Where Cognito is.
    pub fn target(&self) -> &Target {
        &self.target
    }
}

/// A completed sign-in.
#[derive(Debug)]
#[non_exhaustive]
pub struct Login {
    /// Access, ID and refresh token, and NewDeviceMetadata when the pool tracks devices.
    pub tokens: Tokens,
    /// The user's real Cognito username (a UUID in pools that sign in with email), for
    /// SECRET_HASH on later refreshes.
    pub username: String,
    /// The challenges answered, in order (`PASSWORD_VERIFIER`, `SOFTWARE_TOKEN_MFA`, ...).
    pub challenges: Vec<String>,
    pub notes: Vec<Note>,
}

/// Rounds of challenges before giving up: a real sign-in has at most four or five.
const MAX_ROUNDS: usize = 12;

/// Signs in: the first call with the flow's parameters, then each challenge answered in turn.
pub async fn login(options: &LoginOptions, prompter: &mut dyn Prompter) -> Result<Login, Error> {
    let o = options;
    if o.client_id.trim().is_empty() {
        return Err(Error::usage("the app client id is empty"));
    }
    if o.username.trim().is_empty() {
        return Err(Error::usage("the username is empty"));
    }
    // SRP hashes the password with the pool id's part after `_`; the admin API names the pool.
    let pool = o.target.user_pool_id.clone();
    if pool.is_none() && o.flow != Flow::Password {
        return Err(Error::setting(
            Setting::UserPoolId,
            format!(
                "{} needs the user pool id: pass {}{}",
                o.flow.auth_flow(),
                Setting::UserPoolId,
                match o.flow {
                    Flow::Srp => format!(" (or use {} password)", Setting::Flow),
                    _ => String::new(),
                }
            ),
        ));
    }
    let pool_short = pool
        .as_deref()
        .and_then(|p| p.split_once('_'))
        .map(|(_, id)| id.to_string());
    let connection = o.target.connection().await?;
    let mut notes = vec![Note::Info(format!(
        "signing in with {} at {}",
        o.flow.auth_flow(),
        connection.endpoint_display()
    ))];
    let password = prompter.answer(&Question::Password)?;
    if password.expose_secret().is_empty() {
        return Err(Error::usage("the password is empty"));
    }
    let client = match o.flow {
        Flow::AdminPassword => connection.signed_client(o.aws_profile.as_deref()).await,
        _ => connection.client(),
    };
    let mut state = State {
        options: o,
        connection: &connection,
        client: &client,
        username: o.username.clone(),
        responder: Responder::new(password, pool_short, o.device.as_ref()),
        admin_pool: pool.filter(|_| o.flow == Flow::AdminPassword),
    };

    let mut answer = state.initiate().await?;
    let mut challenges = Vec::new();
    for _ in 0..MAX_ROUNDS {
        if let Some(result) = answer.result {
            let tokens = crate::api::cognito::tokens(result, answer.operation)?;
            if o.device.is_some() && o.flow != Flow::Srp {
                notes.push(Note::Info(format!(
                    "signed in with a remembered device through {}",
                    o.flow.auth_flow()
                )));
            }
            return Ok(Login {
                tokens,
                username: state.username,
                challenges,
                notes,
            });
        }
        let name = answer.challenge.ok_or_else(|| {
            Error::new(
                ErrorKind::Other,
                format!(
                    "{} answered with neither tokens nor a challenge",
                    answer.operation
                ),
            )
        })?;
        if let Some(u) = answer.parameters.get("USERNAME").filter(|u| !u.is_empty()) {
            state.username = u.clone();
        }
        let responses = state.responder.respond(
            &name,
            &state.username,
            &answer.parameters,
            prompter,
            &mut notes,
        )?;
        challenges.push(name.clone());
        answer = state
            .send_challenge(&name, answer.session, responses)
            .await?;
    }
    Err(Error::new(
        ErrorKind::Other,
        format!(
            "the sign-in did not finish after {MAX_ROUNDS} challenges ({})",
            challenges.join(", ")
        ),
    ))
}

/// One answer of InitiateAuth or RespondToAuthChallenge.
struct Answer {
    operation: &'static str,
    result: Option<aws_sdk_cognitoidentityprovider::types::AuthenticationResultType>,
    challenge: Option<String>,
    session: Option<String>,
    parameters: HashMap<String, String>,
}

/// An answer from each of the four calls a sign-in makes: their outputs have the same fields.
macro_rules! answers {
    ($($output:ty => $operation:literal),* $(,)?) => {$(
        impl From<$output> for Answer {
            fn from(o: $output) -> Self {
                Answer {
                    operation: $operation,
                    result: o.authentication_result,
                    challenge: o.challenge_name.map(|c| c.as_str().to_string()),
                    session: o.session,
                    parameters: o.challenge_parameters.unwrap_or_default(),
                }
            }
        }
    )*};
}

answers! {
    InitiateAuthOutput => "InitiateAuth",
    RespondToAuthChallengeOutput => "RespondToAuthChallenge",
    AdminInitiateAuthOutput => "AdminInitiateAuth",
    AdminRespondToAuthChallengeOutput => "AdminRespondToAuthChallenge",
}

struct State<'a> {
    options: &'a LoginOptions,
    connection: &'a Connection,
    client: &'a Client,
    /// The username as Cognito last named it (the real one, after the first challenge).
    username: String,
    responder: Responder<'a>,
    /// The user pool, when the sign-in goes through the admin API.
    admin_pool: Option<String>,
}

impl State<'_> {
    fn secret_hash(&self) -> Option<SecretString> {
        self.options
            .client_secret
            .as_ref()
            .map(|s| secret_hash(s, &self.username, &self.options.client_id))
    }

    /// What an answer is judged against: every secret this sign-in sends (the SECRET_HASH of
    /// this call too) is removed from what comes back.
    fn context(&self) -> Context<'_> {
        let hash = self.secret_hash();
        let mut secrets = self.responder.secrets();
        secrets.extend(&self.options.client_secret);
        secrets.extend(&hash);
        Context::call(self.connection, Operation::SignIn, secrets)
    }

    async fn initiate(&mut self) -> Result<Answer, Error> {
        let o = self.options;
        let mut parameters = HashMap::from([("USERNAME".to_string(), self.username.clone())]);
        let flow = match o.flow {
            Flow::Srp => {
                parameters.insert("SRP_A".into(), self.responder.begin_srp()?);
                AuthFlowType::UserSrpAuth
            }
            Flow::Password => AuthFlowType::UserPasswordAuth,
            Flow::AdminPassword => AuthFlowType::AdminUserPasswordAuth,
        };
        if o.flow != Flow::Srp {
            let password = self.responder.password().expose_secret().to_string();
            parameters.insert("PASSWORD".into(), password);
        }
        if let Some(hash) = self.secret_hash() {
            parameters.insert("SECRET_HASH".into(), hash.expose_secret().to_string());
        }
        if let Some(device) = &o.device {
            parameters.insert("DEVICE_KEY".into(), device.device_key.clone());
        }
        let metadata = self.metadata();
        let out: Answer = match &self.admin_pool {
            None => self
                .client
                .initiate_auth()
                .client_id(&o.client_id)
                .auth_flow(flow)
                .set_auth_parameters(Some(parameters))
                .set_client_metadata(metadata)
                .send()
                .await
                .map_err(|e| self.context().error(e))?
                .into(),
            Some(pool) => self
                .client
                .admin_initiate_auth()
                .user_pool_id(pool)
                .client_id(&o.client_id)
                .auth_flow(flow)
                .set_auth_parameters(Some(parameters))
                .set_client_metadata(metadata)
                .send()
                .await
                .map_err(|e| self.context().error(e))?
                .into(),
        };
        Ok(out)
    }

    /// The client metadata, as the SDK takes it.
    fn metadata(&self) -> Option<HashMap<String, String>> {
        let m = &self.options.client_metadata;
        (!m.is_empty()).then(|| m.iter().cloned().collect())
    }

    async fn send_challenge(
        &self,
        name: &str,
        session: Option<String>,
        responses: Responses,
    ) -> Result<Answer, Error> {
        let o = self.options;
        let mut answers: HashMap<String, String> = responses
            .iter()
            .map(|(k, v)| (k.to_string(), v.expose_secret().to_string()))
            .collect();
        if let Some(hash) = self.secret_hash() {
            answers.insert("SECRET_HASH".into(), hash.expose_secret().to_string());
        }
        let challenge = ChallengeNameType::from(name);
        let metadata = self.metadata();
        let out: Answer = match &self.admin_pool {
            None => self
                .client
                .respond_to_auth_challenge()
                .client_id(&o.client_id)
                .challenge_name(challenge)
                .set_session(session)
                .set_challenge_responses(Some(answers))
                .set_client_metadata(metadata)
                .send()
                .await
                .map_err(|e| self.context().error(e))?
                .into(),
            Some(pool) => self
                .client
                .admin_respond_to_auth_challenge()
                .user_pool_id(pool)
                .client_id(&o.client_id)
                .challenge_name(challenge)
                .set_session(session)
                .set_challenge_responses(Some(answers))
                .set_client_metadata(metadata)
                .send()
                .await
                .map_err(|e| self.context().error(e))?
                .into(),
        };
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoAnswers;
    impl Prompter for NoAnswers {
        fn answer(&mut self, q: &Question) -> Result<SecretString, Error> {
            Err(Error::usage(format!("missing {}", q.describe())))
        }
    }

    #[test]
    fn srp_without_a_pool_id_is_a_usage_error() {
        let target = Target::default()
            .set_region(Some("eu-west-1".into()))
            .use_aws_profile_region(false);
        let o = LoginOptions::new("c", "alice", target).flow(Flow::Srp);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let e = rt.block_on(login(&o, &mut NoAnswers)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert!(e.to_string().contains("user pool id"), "{e}");
        // A missing answer is the prompter's error, before anything is sent.
        let o = o.flow(Flow::Password);
        let e = rt.block_on(login(&o, &mut NoAnswers)).unwrap_err();
        assert!(e.to_string().contains("missing the password"), "{e}");
    }
}
