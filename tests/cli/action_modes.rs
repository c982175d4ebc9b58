//! The GitHub Action's other ways to get credentials, run as action.rs runs it: an app client's
//! own token (client-token, against the wire-format stub of the token endpoint and of
//! GetClientToken), AWS credentials from an identity pool (aws-credentials, against the stub of
//! Cognito Identity), and the inputs that cannot go together.

use crate::action::{JOB_AWS_KEY, Runner, releases};
use crate::aws_stub::id_token;
use crate::support::jwt::{self, FAR_FUTURE};
use crate::support::wire::{self, CLIENT, IDENTITY_POOL, M2M_SCOPES, PROVIDER, REFRESH_TOKEN};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

const SECRET: &str = "action-m2m-client-s3cr3t";
const IDENTITY: &str = "eu-west-1:11111111-2222-4333-8444-555555555555";
const ACCESS_KEY: &str = "ASIAACTIONKEY0000001";
const ROLE: &str = "arn:aws:iam::123456789012:role/ci-deploy";

/// The outputs an app client's own token leaves empty.
const USER_ONLY: [&str; 6] = [
    "id-token",
    "refresh-token",
    "aws-access-key-id",
    "aws-secret-access-key",
    "aws-session-token",
    "aws-credential-expiration",
];

#[tokio::test]
async fn action_gets_an_app_clients_own_token_at_the_token_endpoint() {
    let downloads = releases(None).await;
    let cognito = MockServer::start().await;
    let access = wire::client_access_token(3600);
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(wire::client_credentials_answer(&access))
        .expect(1)
        .mount(&cognito)
        .await;
    let runner = Runner::new();
    let ok = runner.run(
        &[
            ("client-id", CLIENT),
            ("client-secret", SECRET),
            ("scopes", M2M_SCOPES),
            ("domain", &cognito.uri()),
            ("download-url", &downloads.uri()),
            ("export-env", "true"),
        ],
        None,
    );
    assert!(ok, "{}", runner.read("log"));
    let outputs = runner.pairs("output");
    assert_eq!(outputs["access-token"], access);
    assert!(outputs["expires-at"].ends_with('Z'), "{outputs:?}");
    for name in USER_ONLY {
        assert_eq!(outputs[name], "", "{name}");
    }
    let env = runner.pairs("env");
    assert_eq!(
        env.keys().collect::<Vec<_>>(),
        ["COGNITO_ACCESS_TOKEN", "COGNITO_TOKEN_EXPIRES_AT"]
    );
    assert_eq!(env["COGNITO_ACCESS_TOKEN"], access);
    assert_eq!(env["COGNITO_TOKEN_EXPIRES_AT"], outputs["expires-at"]);
    runner.assert_masked(&[SECRET, &access]);

    // One request: the client credentials grant for the scopes, the secret as HTTP Basic only.
    let reqs = wire::requests(&cognito).await;
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&reqs[0].body)
            .into_owned()
            .collect();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["scope"], M2M_SCOPES);
    assert!(!form.values().any(|v| v.contains(SECRET)), "{form:?}");
    assert!(reqs[0].headers.contains_key("authorization"));
}

#[tokio::test]
async fn action_gets_an_app_clients_own_token_through_get_client_token() {
    let downloads = releases(None).await;
    let cognito = MockServer::start().await;
    let access = wire::client_access_token(3600);
    wire::mount(
        &cognito,
        "GetClientToken",
        wire::client_token_result(&access),
    )
    .await;
    let runner = Runner::new();
    let ok = runner.run(
        &[
            ("client-id", CLIENT),
            ("client-secret", &format!("{SECRET}\n")),
            ("api", "get-client-token"),
            ("user-pool-id", wire::POOL),
            ("endpoint-url", &cognito.uri()),
            ("download-url", &downloads.uri()),
        ],
        None,
    );
    assert!(ok, "{}", runner.read("log"));
    let outputs = runner.pairs("output");
    assert_eq!(outputs["access-token"], access);
    assert_eq!(runner.read("env"), "");
    runner.assert_masked(&[SECRET, &access]);
    let reqs = wire::requests(&cognito).await;
    assert_eq!(reqs.len(), 1);
    let body = wire::body(&reqs[0]);
    assert_eq!(body["ClientId"], CLIENT);
    assert_eq!(body["Secret"], SECRET);
    // Unsigned: the job's AWS credentials are not sent.
    assert!(!reqs[0].headers.contains_key("authorization"));
}

#[tokio::test]
async fn action_gets_aws_credentials_from_an_identity_pool() {
    let downloads = releases(None).await;
    let cognito = MockServer::start().await;
    let access = jwt::access_token(json!({"username": "alice"}));
    let mut tokens = wire::tokens_with(&access);
    tokens["IdToken"] = json!(id_token());
    wire::on("InitiateAuth")
        .respond_with(wire::auth_result(tokens))
        .expect(1)
        .mount(&cognito)
        .await;
    wire::on_identity("GetId")
        .respond_with(wire::identity_id(IDENTITY))
        .mount(&cognito)
        .await;
    wire::on_identity("GetCredentialsForIdentity")
        .respond_with(wire::aws_credentials(IDENTITY, ACCESS_KEY, FAR_FUTURE))
        .mount(&cognito)
        .await;
    let runner = Runner::new();
    let ok = runner.run(
        &[
            ("client-id", CLIENT),
            ("refresh-token", REFRESH_TOKEN),
            ("region", "eu-west-1"),
            ("endpoint-url", &cognito.uri()),
            ("identity-pool-id", IDENTITY_POOL),
            ("role-arn", ROLE),
            ("download-url", &downloads.uri()),
            ("export-env", "true"),
        ],
        None,
    );
    assert!(ok, "{}", runner.read("log"));
    let outputs = runner.pairs("output");
    assert_eq!(outputs["access-token"], access);
    assert_eq!(outputs["id-token"], id_token());
    assert_eq!(outputs["aws-access-key-id"], ACCESS_KEY);
    assert_eq!(outputs["aws-secret-access-key"], wire::AWS_SECRET_KEY);
    assert_eq!(outputs["aws-session-token"], wire::AWS_SESSION_TOKEN);
    assert_eq!(outputs["aws-credential-expiration"], "2100-01-01T00:00:00Z");
    let env = runner.pairs("env");
    assert_eq!(
        env.keys().collect::<Vec<_>>(),
        [
            "AWS_ACCESS_KEY_ID",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "COGNITO_ACCESS_TOKEN",
            "COGNITO_ID_TOKEN",
            "COGNITO_TOKEN_EXPIRES_AT",
        ]
    );
    assert_eq!(env["AWS_ACCESS_KEY_ID"], ACCESS_KEY);
    assert_eq!(env["AWS_SECRET_ACCESS_KEY"], wire::AWS_SECRET_KEY);
    assert_eq!(env["AWS_SESSION_TOKEN"], wire::AWS_SESSION_TOKEN);
    runner.assert_masked(&[
        REFRESH_TOKEN,
        &access,
        &id_token(),
        ACCESS_KEY,
        wire::AWS_SECRET_KEY,
        wire::AWS_SESSION_TOKEN,
    ]);
    let log = runner.read("log");
    assert!(!log.contains(JOB_AWS_KEY), "{log}");
    assert!(
        log.contains("AWS credentials valid until 2100-01-01T00:00:00Z"),
        "{log}"
    );
    // The step's own profile is not news to the job's log.
    assert!(!log.contains("created profile"), "{log}");

    // The user pool's login is the ID token just refreshed, and the role is the one asked for.
    let logins = json!({ PROVIDER: id_token() });
    assert_eq!(
        wire::identity_bodies(&cognito, "GetCredentialsForIdentity").await,
        [(
            json!({"IdentityId": IDENTITY, "Logins": logins, "CustomRoleArn": ROLE}),
            false
        )]
    );
    // The step's profile and store, which held the refresh token, are gone.
    let left: Vec<_> = std::fs::read_dir(runner.file("temp"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["cognito-refresh"], "{left:?}");
}

#[tokio::test]
async fn action_refuses_inputs_that_do_not_go_together_before_any_request() {
    let downloads = releases(None).await;
    let cognito = MockServer::start().await;
    let (download_url, endpoint_url) = (downloads.uri(), cognito.uri());
    for (given, says) in [
        (
            &[
                ("client-secret", SECRET),
                ("identity-pool-id", IDENTITY_POOL),
            ][..],
            "identity-pool-id needs a user's ID token",
        ),
        (
            &[("refresh-token", REFRESH_TOKEN), ("scopes", M2M_SCOPES)][..],
            "scopes is for an app client's own token",
        ),
        (&[][..], "give refresh-token"),
    ] {
        let runner = Runner::new();
        let mut inputs = vec![
            ("client-id", CLIENT),
            ("download-url", download_url.as_str()),
            ("endpoint-url", endpoint_url.as_str()),
        ];
        inputs.extend_from_slice(given);
        assert!(!runner.run(&inputs, None));
        let log = runner.read("log");
        assert!(
            log.contains(&format!("::error::cognito-refresh: {says}")),
            "{log}"
        );
        assert_eq!(runner.read("output").lines().count(), 1, "{log}"); // the install's path
        let secrets: Vec<&str> = given.iter().map(|(_, v)| *v).collect();
        for secret in [SECRET, REFRESH_TOKEN] {
            if secrets.contains(&secret) {
                runner.assert_masked(&[secret]);
            }
        }
    }
    assert!(wire::requests(&cognito).await.is_empty());
}
