//! Which identity pool gives AWS credentials, and `exec --aws-credentials`.

use clap::Args;

#[derive(Args, Debug)]
pub struct IdentityArgs {
    /// The identity pool that gives the AWS credentials, <region>:<id>; also the profile's
    /// `identity_pool_id` [env: COGNITO_IDENTITY_POOL_ID].
    #[arg(long, value_name = "ID")]
    pub identity_pool_id: Option<String>,

    /// The IAM role to ask for, for an identity pool with role rules (CustomRoleArn); also the
    /// profile's `role_arn`. Without it the pool chooses.
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
}

/// `exec --aws-credentials`: the profile's AWS credentials in the command's environment too.
#[derive(Args, Debug)]
pub struct ExecAwsArgs {
    /// Also set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
    /// AWS_CREDENTIAL_EXPIRATION, from the identity pool (as `aws-credentials` gets them).
    #[arg(long)]
    pub aws_credentials: bool,

    #[command(flatten)]
    pub identity: IdentityArgs,
}
