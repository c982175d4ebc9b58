//! Sign-in through the browser (`login --flow browser`): the user pool domain's hosted UI, and
//! the redirect back to this machine.

use clap::Args;

/// The redirect URI when none is given: a fixed port, since Cognito redirects only to the URLs
/// the app client lists (`http://localhost` is allowed without TLS).
pub const DEFAULT_REDIRECT_URI: &str = "http://localhost:8976/callback";

/// How long `login --flow browser` waits for the sign-in when --timeout is not given: 5 minutes.
pub const DEFAULT_BROWSER_WAIT: f64 = 300.0;

#[derive(Args, Debug, Default)]
pub struct BrowserArgs {
    /// The user pool's domain, for --flow browser: https://DOMAIN (the hosted UI's, e.g.
    /// myapp.auth.eu-west-1.amazoncognito.com, or a custom domain). Saved in the profile as
    /// `domain` [env: COGNITO_DOMAIN].
    #[arg(long, value_name = "URL")]
    pub domain: Option<String>,

    /// Where the hosted UI sends the browser back (--flow browser): a listener on this machine,
    /// http://localhost:PORT/PATH, which the app client must list among its allowed callback
    /// URLs [default: http://localhost:8976/callback].
    #[arg(long, value_name = "URL")]
    pub redirect_uri: Option<String>,

    /// A scope to ask for (--flow browser): openid, email, profile, phone,
    /// aws.cognito.signin.user.admin, or a resource server's; repeatable, or space-separated.
    /// Without it, the app client's allowed scopes.
    #[arg(long, value_name = "SCOPE")]
    pub scope: Vec<String>,

    /// Skip the hosted UI's choice of provider (--flow browser): COGNITO for the user pool's
    /// own users, or the name of a federated identity provider (SAML, OIDC, Google, ...).
    #[arg(long, value_name = "NAME")]
    pub identity_provider: Option<String>,

    /// Do not open a browser (--flow browser): print the address to open. A browser on
    /// another machine needs the redirect URI's port forwarded to this one (ssh -L).
    #[arg(long)]
    pub no_browser: bool,
}
