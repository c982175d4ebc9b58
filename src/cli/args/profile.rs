//! Which profile, and where its settings and tokens are kept. Every command takes them.

use super::candidates::profile_names;
use clap::Args;
use clap_complete::ArgValueCandidates;
use std::path::PathBuf;

#[derive(Args, Debug)]
#[command(next_help_heading = "Profile")]
pub struct ProfileArgs {
    /// The profile: settings from the config file, tokens from the token store
    /// [env: COGNITO_PROFILE].
    #[arg(long, short = 'p', global = true, value_name = "NAME",
          add = ArgValueCandidates::new(profile_names))]
    pub profile: Option<String>,

    /// The config file [env: COGNITO_REFRESH_CONFIG] [default:
    /// $XDG_CONFIG_HOME/cognito-refresh/config.toml, else ~/.config/cognito-refresh/config.toml].
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// The token store: a directory, or dynamodb://TABLE (a table that machines share; see
    /// init-store) [env: COGNITO_REFRESH_STORE] [default: the profile's `store`, else
    /// $XDG_STATE_HOME/cognito-refresh, else ~/.local/state/cognito-refresh].
    #[arg(
        long = "store",
        id = "store_dir",
        global = true,
        value_name = "DIR|dynamodb://TABLE"
    )]
    pub store_dir: Option<PathBuf>,
}
