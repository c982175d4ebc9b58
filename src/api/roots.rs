//! The certificates TLS trusts: read from one source, once per process, just before the first
//! TLS connection, and never for a plain-http endpoint.
//!
//! The source is, in this order:
//! - `SSL_CERT_FILE` and `SSL_CERT_DIR` (a list of directories, as `PATH` is), when either is
//!   set: those only, both when both are set, as OpenSSL reads them;
//! - else, on Linux and the BSDs, the platform's bundle file (Debian's
//!   `/etc/ssl/certs/ca-certificates.crt`, Fedora's `/etc/pki/tls/certs/ca-bundle.crt`, ...,
//!   found as OpenSSL's own probe finds it), or its certificate directory where there is no
//!   bundle; the directory is not read as well, since the bundle holds the same certificates;
//! - else (macOS, Windows) the operating system's store, through the AWS SDK's loader.
//!
//! A certificate that does not parse is skipped: it could anchor no chain, and the SDK's client
//! would stop the process on it.

use crate::tokens::Note;
use aws_smithy_http_client::tls::TrustStore;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where the trusted certificates are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
// macOS and Windows have no bundle file to find: the operating system's store stands for it.
#[cfg_attr(not(all(unix, not(target_os = "macos"))), allow(dead_code))]
pub(crate) enum Source {
    /// `SSL_CERT_FILE` and/or `SSL_CERT_DIR`.
    Environment {
        file: Option<PathBuf>,
        dirs: Vec<PathBuf>,
    },
    /// The platform's bundle file.
    Bundle(PathBuf),
    /// The platform's certificate directory, on a system without a bundle file.
    Directory(PathBuf),
    /// The operating system's store (macOS's keychains, Windows' certificate store).
    System,
}

impl Source {
    /// The source this process reads: from the environment, else the platform's.
    pub(crate) fn current() -> Source {
        let file = std::env::var_os("SSL_CERT_FILE")
            .filter(|f| !f.is_empty())
            .map(PathBuf::from);
        let dirs: Vec<PathBuf> = std::env::var_os("SSL_CERT_DIR")
            .map(|d| std::env::split_paths(&d).collect())
            .unwrap_or_default();
        let dirs: Vec<PathBuf> = dirs
            .into_iter()
            .filter(|d| !d.as_os_str().is_empty())
            .collect();
        if file.is_some() || !dirs.is_empty() {
            return Source::Environment { file, dirs };
        }
        platform()
    }

    /// What it is, for `-v`.
    fn describe(&self) -> String {
        match self {
            Source::Environment { file, dirs } => {
                let mut parts = Vec::new();
                if let Some(file) = file {
                    parts.push(format!("SSL_CERT_FILE ({})", file.display()));
                }
                if !dirs.is_empty() {
                    let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
                    parts.push(format!("SSL_CERT_DIR ({})", dirs.join(", ")));
                }
                parts.join(" and ")
            }
            Source::Bundle(file) => format!("the platform's bundle {}", file.display()),
            Source::Directory(dir) => format!("the platform's directory {}", dir.display()),
            Source::System => "the operating system's store".into(),
        }
    }
}

/// The platform's own source.
#[cfg(all(unix, not(target_os = "macos")))]
fn platform() -> Source {
    // No variable is set, so the probe returns the first bundle file that exists.
    match openssl_probe::probe().cert_file {
        Some(file) => Source::Bundle(file),
        None => match openssl_probe::candidate_cert_dirs().next() {
            Some(dir) => Source::Directory(dir.to_path_buf()),
            None => Source::System,
        },
    }
}

/// The platform's own source.
#[cfg(not(all(unix, not(target_os = "macos"))))]
fn platform() -> Source {
    Source::System
}

/// For `-v`: where the certificates a TLS connection to `url` trusts come from. Nothing is read.
pub(crate) fn note(url: &url::Url) -> Option<Note> {
    (url.scheme() == "https").then(|| {
        Note::Info(format!(
            "trusting the certificates of {}",
            Source::current().describe()
        ))
    })
}

/// The certificates read from a source, checked as the TLS client will check them.
#[derive(Debug, Default)]
struct Loaded {
    /// Those that parse, as one PEM bundle.
    pem: Vec<u8>,
    trusted: usize,
    /// Those that did not parse, skipped.
    skipped: usize,
}

/// The trust store of every TLS connection of the process: read from [`Source::current`] at the
/// first call, then kept.
pub(crate) fn trust_store() -> TrustStore {
    static LOADED: OnceLock<Option<Loaded>> = OnceLock::new();
    match LOADED.get_or_init(|| load(&Source::current())) {
        Some(loaded) => TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(loaded.pem.clone()),
        // The SDK's loader reads the operating system's store, once per process.
        None => TrustStore::default(),
    }
}

/// Reads `source`; `None` for the operating system's store, which the SDK reads.
fn load(source: &Source) -> Option<Loaded> {
    let mut ders = Vec::new();
    match source {
        Source::Environment { file, dirs } => {
            if let Some(file) = file {
                read_file(file, &mut ders);
            }
            for dir in dirs {
                read_dir(dir, &mut ders);
            }
        }
        Source::Bundle(file) => read_file(file, &mut ders),
        Source::Directory(dir) => read_dir(dir, &mut ders),
        Source::System => return None,
    }
    Some(check(ders))
}

/// The certificates of the PEM file at `path`, added to `ders`. An unreadable file, or a section
/// that is not valid PEM, adds nothing.
fn read_file(path: &Path, ders: &mut Vec<CertificateDer<'static>>) {
    if let Ok(certs) = CertificateDer::pem_file_iter(path) {
        ders.extend(certs.flatten());
    }
}

/// The certificates of each file in `dir` (not its subdirectories), added to `ders`. A file
/// reached through several names (the hash links `openssl rehash` makes) is read once.
fn read_dir(dir: &Path, ders: &mut Vec<CertificateDer<'static>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut seen = std::collections::HashSet::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        #[cfg(unix)]
        let id = {
            use std::os::unix::fs::MetadataExt;
            Some((meta.dev(), meta.ino()))
        };
        #[cfg(not(unix))]
        let id: Option<(u64, u64)> = None;
        if meta.is_file() && id.is_none_or(|id| seen.insert(id)) {
            read_file(&path, ders);
        }
    }
}

/// `ders` without duplicates, those that parse as trust anchors kept as one PEM bundle (the
/// check is the one the TLS client makes), the others counted.
fn check(mut ders: Vec<CertificateDer<'static>>) -> Loaded {
    ders.sort_unstable_by(|a, b| a.as_ref().cmp(b.as_ref()));
    ders.dedup();
    let mut loaded = Loaded::default();
    let mut anchors = RootCertStore::empty();
    for der in ders {
        if anchors.add(der.clone()).is_err() {
            loaded.skipped += 1;
            continue;
        }
        loaded.trusted += 1;
        loaded
            .pem
            .extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        loaded
            .pem
            .extend_from_slice(STANDARD.encode(&der).as_bytes());
        loaded
            .pem
            .extend_from_slice(b"\n-----END CERTIFICATE-----\n");
    }
    loaded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem(der: &[u8]) -> String {
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            STANDARD.encode(der)
        )
    }

    #[test]
    fn certificates_that_do_not_parse_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bundle.pem");
        // Valid PEM, but not a certificate; then garbage, then the same again.
        let bogus = pem(b"not a certificate");
        std::fs::write(&file, format!("{bogus}junk\n{bogus}")).unwrap();
        let loaded = load(&Source::Bundle(file)).unwrap();
        assert_eq!((loaded.trusted, loaded.skipped), (0, 1));
        assert!(loaded.pem.is_empty());
    }

    #[test]
    fn a_missing_source_trusts_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = load(&Source::Environment {
            file: Some(dir.path().join("absent.pem")),
            dirs: vec![dir.path().join("absent")],
        })
        .unwrap();
        assert_eq!((loaded.trusted, loaded.skipped), (0, 0));
    }

    #[test]
    fn each_source_says_what_it_is() {
        let env = Source::Environment {
            file: Some("/a/ca.pem".into()),
            dirs: vec!["/b".into(), "/c".into()],
        };
        assert_eq!(
            env.describe(),
            "SSL_CERT_FILE (/a/ca.pem) and SSL_CERT_DIR (/b, /c)"
        );
        assert_eq!(
            Source::Bundle("/etc/ssl/certs/ca-certificates.crt".into()).describe(),
            "the platform's bundle /etc/ssl/certs/ca-certificates.crt"
        );
    }
}
