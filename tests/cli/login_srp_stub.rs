//! USER_SRP_AUTH against a stub that checks the proof as Cognito does (`support::srp_server`,
//! written independently of the tool's SRP code): the right password signs in, a wrong one is
//! refused.

use crate::support::cognito_stub::{CLIENT, PASSWORD, POOL, Stub, USER_ID, USERNAME};
use crate::util::*;

fn login(stub: &Stub, password: &str) -> assert_cmd::Command {
    let mut cmd = bin();
    cmd.args([
        "login",
        "--print",
        "--client-id",
        CLIENT,
        "--user-pool-id",
        POOL,
    ])
    .args(["--username", USERNAME, "--endpoint-url", &stub.uri()])
    .env("COGNITO_PASSWORD", password);
    cmd
}

#[tokio::test]
async fn the_proof_is_accepted_and_a_wrong_password_refused() {
    let stub = Stub::start(false).await;
    let out = run(&mut login(&stub, PASSWORD), 0);
    let t = json_tokens(&out);
    assert!(t.refresh_token.is_some());
    let first = &stub.bodies("InitiateAuth")[0];
    assert_eq!(first["AuthFlow"], "USER_SRP_AUTH");
    assert_eq!(first["AuthParameters"]["USERNAME"], USERNAME);
    assert!(first["AuthParameters"].get("PASSWORD").is_none());
    let answer = &stub.bodies("RespondToAuthChallenge")[0];
    assert_eq!(answer["ChallengeName"], "PASSWORD_VERIFIER");
    // The real username from the challenge, not the alias signed in with.
    assert_eq!(answer["ChallengeResponses"]["USERNAME"], USER_ID);
    assert_no_secrets(&out, &[PASSWORD]);
    let all = format!("{:?}", stub.state().requests);
    assert!(!all.contains(PASSWORD), "the password was sent");

    let out = run_failing(&mut login(&stub, "Wr0ng-Password"), 3, &["Wr0ng-Password"]);
    assert_stderr_contains(&out, "NotAuthorizedException");
}
