//! One test per bug fixed, each named for the bug and failing on the release that had it.

use crate::support::cognito_local::cognito_local;
use crate::util::*;

/// Bug: `diagnose --api oauth2` could not work: diagnose sent every attempt through the SDK's
/// refresh call, which refused the token endpoint at run time. Against cognito-local's token
/// endpoint: a healthy session exits 0 with every check ok; a revoked refresh token exits 3,
/// and the report names the cause.
#[tokio::test]
async fn diagnose_api_oauth2_reaches_the_token_endpoint() {
    let local = cognito_local();
    let session = local.session().await;
    let diagnose = || {
        let mut cmd = bin();
        cmd.args(["diagnose", "--api", "oauth2", "-o", "json"])
            .args(["--client-id", &session.client_id])
            .args(["--domain", &local.endpoint])
            .env("COGNITO_REFRESH_TOKEN", &session.refresh_token);
        cmd
    };
    let out = run(&mut diagnose(), 0);
    let r = report(&out);
    let refresh = r.assert_status("refresh", CheckStatus::Ok);
    assert!(
        refresh.summary.contains("the OAuth2 token endpoint"),
        "{refresh:#?}"
    );
    for c in &r.checks {
        assert!(
            matches!(c.status, CheckStatus::Ok | CheckStatus::Skipped),
            "{c:#?}"
        );
    }
    assert!(r.attempts().is_empty(), "{r:#?}");

    local
        .admin()
        .revoke_token()
        .client_id(&session.client_id)
        .token(&session.refresh_token)
        .send()
        .await
        .expect("RevokeToken");
    let out = run_failing(&mut diagnose(), 3, &[&session.refresh_token]);
    let r = report(&out);
    let refresh = r.assert_status("refresh", CheckStatus::Problem);
    assert!(refresh.summary.contains("invalid_grant"), "{refresh:#?}");
    let fix = refresh.fix.as_deref().unwrap_or_default();
    assert!(fix.contains("sign in again"), "{refresh:#?}");
}
