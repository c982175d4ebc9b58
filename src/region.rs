//! Region and user pool id: validation and inference, never through the EC2 metadata service.

/// Whether `s` looks like an AWS region name: `eu-west-1`, `us-gov-west-1`, `ap-southeast-5`.
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty())
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
}

/// Whether `s` has the form of a user pool id: `<region>_<alphanumerics>`.
pub fn is_user_pool_id(s: &str) -> bool {
    match s.split_once('_') {
        Some((region, id)) => {
            is_region(region) && !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// The region of a user pool id: the part before `_`.
pub fn region_of_pool(pool_id: &str) -> Option<&str> {
    is_user_pool_id(pool_id).then(|| pool_id.split_once('_').map(|(r, _)| r))?
}

/// The region named in a token issuer, `https://cognito-idp.<region>.amazonaws.com/<pool>`.
pub fn region_of_issuer(iss: &str) -> Option<&str> {
    let pool = iss.rsplit('/').next()?;
    region_of_pool(pool)
}

/// The region of the AWS shared config file's profile (`AWS_PROFILE`, else `default`), if any.
///
/// Reads only `~/.aws/config` and `~/.aws/credentials`: no credentials are loaded and the EC2
/// instance metadata service is never asked.
pub async fn aws_profile_region() -> Option<String> {
    use aws_config::meta::region::ProvideRegion;
    aws_config::profile::ProfileFileRegionProvider::builder()
        .build()
        .region()
        .await
        .map(|r| r.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for ok in [
            "eu-west-1",
            "us-east-1",
            "us-gov-west-1",
            "ap-southeast-5",
            "il-central-1",
        ] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in [
            "",
            "eu",
            "eu-west",
            "EU-WEST-1",
            "eu-west-x",
            "eu--1",
            "eu west 1",
            "eu-west-1/",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }

    #[test]
    fn pool_ids() {
        assert!(is_user_pool_id("eu-west-1_AbC123"));
        assert_eq!(region_of_pool("eu-west-1_AbC123"), Some("eu-west-1"));
        for bad in [
            "eu-west-1",
            "eu-west-1_",
            "_AbC",
            "eu-west-1_Ab-C",
            "bad_AbC123",
        ] {
            assert!(!is_user_pool_id(bad), "{bad}");
            assert_eq!(region_of_pool(bad), None);
        }
    }

    #[test]
    fn issuers() {
        assert_eq!(
            region_of_issuer("https://cognito-idp.ap-south-1.amazonaws.com/ap-south-1_Xy9"),
            Some("ap-south-1")
        );
        assert_eq!(region_of_issuer("https://example.com/"), None);
    }
}
