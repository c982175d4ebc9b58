//! Clap's usage errors, without the value of a stray argument.

use clap::builder::StyledStr;
use clap::error::{ContextKind, ContextValue, ErrorKind};

/// What stands for a stray argument in a usage error.
const NOT_SHOWN: &str = "…";

/// Clap's error, with a stray positional argument (or an unknown subcommand, the same mistake
/// one level up) left out: it may be a secret pasted in the wrong place (`refresh "$TOKEN"`).
/// An unknown option keeps its name (clap already drops its `=VALUE`).
pub fn without_values(mut e: clap::Error) -> clap::Error {
    let stray = match e.kind() {
        ErrorKind::UnknownArgument => !matches!(
            e.get(ContextKind::InvalidArg),
            Some(ContextValue::String(arg)) if arg.starts_with('-')
        ),
        ErrorKind::InvalidSubcommand => true,
        _ => false,
    };
    if stray {
        for kind in [ContextKind::InvalidArg, ContextKind::InvalidSubcommand] {
            if e.get(kind).is_some() {
                e.insert(kind, ContextValue::String(NOT_SHOWN.into()));
            }
        }
        // Clap's tips (`to pass '...' as a value, use '-- ...'`) repeat it.
        let tip = StyledStr::from(
            "the argument is not shown, in case it is a secret: secrets go in files or the \
             environment (see --help)",
        );
        e.insert(ContextKind::Suggested, ContextValue::StyledStrs(vec![tip]));
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::Cli;
    use clap::Parser as _;

    fn rendered(args: &[&str]) -> String {
        let e = Cli::try_parse_from(args).map(|_| ()).unwrap_err();
        without_values(e).render().to_string()
    }

    #[test]
    fn a_stray_argument_is_not_repeated() {
        for args in [
            &["cognito-refresh", "refresh", "stray-secret-value"][..],
            &["cognito-refresh", "stray-secret-value"],
            &[
                "cognito-refresh",
                "refresh",
                "--client-id",
                "c",
                "stray-secret-value",
            ],
        ] {
            let text = rendered(args);
            assert!(!text.contains("stray-secret-value"), "{text}");
            assert!(text.contains("not shown"), "{text}");
        }
        // An unknown option is named; its value never was.
        let text = rendered(&[
            "cognito-refresh",
            "refresh",
            "--refresh-tokn=stray-secret-value",
        ]);
        assert!(text.contains("--refresh-tokn"), "{text}");
        assert!(!text.contains("stray-secret-value"), "{text}");
    }
}
