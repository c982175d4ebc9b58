//! Value parsers the option groups share.

use secrecy::SecretString;

/// A secret, held so that `Debug` never shows it.
pub(super) fn secret(s: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(s))
}
