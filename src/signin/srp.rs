//! The client side of Cognito's SRP-6a: USER_SRP_AUTH / PASSWORD_VERIFIER, DEVICE_SRP_AUTH /
//! DEVICE_PASSWORD_VERIFIER, and the password verifier of a new device for ConfirmDevice.
//!
//! Implemented here on `num-bigint`, `sha2`, `hmac` and `hkdf` rather than with the
//! `aws-cognito-srp` crate (0.2.6), which was evaluated and does not fit:
//! - its random values cannot be fixed from outside the crate, so its results cannot be checked
//!   against an independent implementation with fixed randomness;
//! - it decodes the SECRET_BLOCK strictly as base64 and fails on emulators that send another
//!   shape (moto sends a UUID);
//! - it logs the SECRET_HASH through the `log` crate and keeps passwords in plain `String`s;
//! - it brings a second `base64`, `rand` 0.10, `chrono` and `regex` for what is a few lines here.
//!
//! The arithmetic follows amazon-cognito-identity-js's `AuthenticationHelper` (the reference the
//! service was built with), and the tests compare it with pycognito's `AWSSRP`.
//!
//! Notation: `H` is SHA-256; `pad(x)` is the big-endian bytes of `x` with a leading zero byte
//! when the top bit is set (Java's `BigInteger.toByteArray`); N and g are the 3072-bit group of
//! RFC 5054.
//!
//! - `k = H(pad(N) | pad(g))`, `A = g^a mod N`, `u = H(pad(A) | pad(B))`
//! - `x = H(pad(salt) | H(realm | user | ":" | password))`, where realm/user are the user pool id's
//!   part after `_` and USER_ID_FOR_SRP for users, the device group key and device key for devices
//! - `S = (B - k * g^x)^(a + u * x) mod N`, `key = HKDF-SHA256(ikm = pad(S), salt = pad(u),
//!   info = "Caldera Derived Key")[..16]`
//! - signature `= base64(HMAC-SHA256(key, realm | user | secret block bytes | timestamp))`

use crate::{Error, ErrorKind};
use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::{DecodePaddingMode, general_purpose};
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use num_bigint::BigUint;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::OnceLock;
use zeroize::Zeroizing;

/// RFC 5054's 3072-bit prime, the group Cognito uses.
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);
const G: u32 = 2;
const INFO: &[u8] = b"Caldera Derived Key";

/// Bytes of randomness for the private value `a` (as amazon-cognito-identity-js and pycognito).
pub const PRIVATE_BYTES: usize = 128;
/// Random bytes of a device password (base64 encoded into it).
pub const DEVICE_PASSWORD_BYTES: usize = 40;
/// Random bytes of a device verifier's salt.
pub const DEVICE_SALT_BYTES: usize = 16;

struct Group {
    n: BigUint,
    g: BigUint,
    k: BigUint,
}

fn group() -> &'static Group {
    static GROUP: OnceLock<Group> = OnceLock::new();
    GROUP.get_or_init(|| {
        let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16)
            .unwrap_or_else(|| unreachable!("N is a valid hex constant"));
        let g = BigUint::from(G);
        let k = BigUint::from_bytes_be(
            &Sha256::new()
                .chain_update(pad(&n))
                .chain_update(pad(&g))
                .finalize(),
        );
        Group { n, g, k }
    })
}

/// Big-endian bytes with a leading zero byte when the top bit is set: the sign-safe form the
/// reference implementation hashes.
fn pad(x: &BigUint) -> Vec<u8> {
    let mut bytes = x.to_bytes_be();
    if bytes[0] & 0x80 != 0 {
        bytes.insert(0, 0);
    }
    bytes
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Fills `buf` from the operating system's random source.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(buf).map_err(|e| {
        Error::new(
            ErrorKind::Other,
            format!("the operating system gave no random numbers: {e}"),
        )
    })
}

fn hex_number(value: &str, name: &str) -> Result<BigUint, Error> {
    BigUint::parse_bytes(value.trim().as_bytes(), 16).ok_or_else(|| {
        protocol(format!(
            "the challenge's {name} is not a hexadecimal number"
        ))
    })
}

fn protocol(message: String) -> Error {
    Error::new(ErrorKind::Other, message)
}

/// Who is proving knowledge of a password: a user, or a remembered device.
#[derive(Clone, Copy)]
pub struct Identity<'a> {
    /// The user pool id's part after `_` for users; the device group key for devices.
    pub realm: &'a str,
    /// USER_ID_FOR_SRP for users; the device key for devices.
    pub user: &'a str,
    pub password: &'a SecretString,
}

impl fmt::Debug for Identity<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("realm", &self.realm)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// What the server sent in PASSWORD_VERIFIER or DEVICE_PASSWORD_VERIFIER.
#[derive(Debug, Clone, Copy)]
pub struct ServerChallenge<'a> {
    /// SRP_B, hexadecimal.
    pub srp_b: &'a str,
    /// SALT, hexadecimal.
    pub salt: &'a str,
    /// SECRET_BLOCK, as sent (base64 from Cognito); sent back unchanged.
    pub secret_block: &'a str,
}

/// One SRP exchange: the private value `a` and the public `A` sent as SRP_A.
pub struct SrpClient {
    a: Zeroizing<Vec<u8>>,
    big_a: BigUint,
}

impl fmt::Debug for SrpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrpClient").finish_non_exhaustive()
    }
}

impl SrpClient {
    /// A new exchange with a fresh random private value.
    pub fn new() -> Result<Self, Error> {
        let mut bytes = Zeroizing::new(vec![0u8; PRIVATE_BYTES]);
        random_bytes(&mut bytes)?;
        Self::with_private(&bytes)
    }

    /// An exchange with the given private value (big-endian, reduced mod N): for known-answer
    /// tests. Never reuse a private value for a real sign-in.
    pub fn with_private(private: &[u8]) -> Result<Self, Error> {
        let grp = group();
        let a = BigUint::from_bytes_be(private) % &grp.n;
        let big_a = grp.g.modpow(&a, &grp.n);
        if big_a == BigUint::ZERO {
            return Err(protocol("the SRP private value is unusable (A = 0)".into()));
        }
        Ok(SrpClient {
            a: Zeroizing::new(a.to_bytes_be()),
            big_a,
        })
    }

    /// SRP_A: `A` as lower-case hexadecimal without padding.
    pub fn srp_a(&self) -> String {
        self.big_a.to_str_radix(16)
    }

    /// The 16-byte key both sides derive from the password and the exchange.
    fn key(
        &self,
        id: Identity<'_>,
        challenge: &ServerChallenge<'_>,
    ) -> Result<Zeroizing<[u8; 16]>, Error> {
        let grp = group();
        let b = hex_number(challenge.srp_b, "SRP_B")?;
        if &b % &grp.n == BigUint::ZERO {
            return Err(protocol(
                "the server's SRP_B is invalid (B mod N = 0)".into(),
            ));
        }
        let salt = hex_number(challenge.salt, "SALT")?;
        let u = BigUint::from_bytes_be(&sha256(&[&pad(&self.big_a), &pad(&b)]));
        if u == BigUint::ZERO {
            return Err(protocol("the SRP exchange is invalid (u = 0)".into()));
        }
        let inner = Zeroizing::new(sha256(&[
            id.realm.as_bytes(),
            id.user.as_bytes(),
            b":",
            id.password.expose_secret().as_bytes(),
        ]));
        let x = BigUint::from_bytes_be(&sha256(&[&pad(&salt), inner.as_slice()]));
        // B - k * g^x, kept non-negative mod N.
        let kgx = (&grp.k * grp.g.modpow(&x, &grp.n)) % &grp.n;
        let base = ((&b % &grp.n) + &grp.n - kgx) % &grp.n;
        let exponent = BigUint::from_bytes_be(&self.a) + &u * &x;
        let s = base.modpow(&exponent, &grp.n);
        let ikm = Zeroizing::new(pad(&s));
        let mut key = Zeroizing::new([0u8; 16]);
        Hkdf::<Sha256>::new(Some(&pad(&u)), &ikm)
            .expand(INFO, key.as_mut_slice())
            .map_err(|_| protocol("HKDF refused a 16-byte output".into()))?;
        Ok(key)
    }

    /// PASSWORD_CLAIM_SIGNATURE for the challenge, at `timestamp` (see [`timestamp`]).
    pub fn signature(
        &self,
        id: Identity<'_>,
        challenge: &ServerChallenge<'_>,
        timestamp: &str,
    ) -> Result<SecretString, Error> {
        let key = self.key(id, challenge)?;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_slice())
            .map_err(|_| protocol("HMAC refused a 16-byte key".into()))?;
        mac.update(id.realm.as_bytes());
        mac.update(id.user.as_bytes());
        mac.update(&secret_block_bytes(challenge.secret_block));
        mac.update(timestamp.as_bytes());
        Ok(SecretString::from(
            STANDARD.encode(mac.finalize().into_bytes()),
        ))
    }
}

/// The SECRET_BLOCK's bytes for the signature. Cognito sends base64; some emulators send other
/// text (moto: a UUID). Like Python's non-validating decoder, characters outside the alphabet
/// are dropped; text that still does not decode is signed as it is. The block itself is always
/// sent back unchanged.
pub fn secret_block_bytes(block: &str) -> Vec<u8> {
    if let Ok(bytes) = STANDARD.decode(block) {
        return bytes;
    }
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let kept: String = block
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/')
        .collect();
    LENIENT
        .decode(&kept)
        .unwrap_or_else(|_| block.as_bytes().to_vec())
}

/// TIMESTAMP as Cognito wants it: `Sun Nov 2 01:45:38 UTC 2026` (English names, the day of the
/// month without a leading zero, UTC).
pub fn timestamp(at: time::OffsetDateTime) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{} {} {} {:02}:{:02}:{:02} UTC {}",
        DAYS[usize::from(t.weekday().number_days_from_monday())],
        MONTHS[usize::from(u8::from(t.month()) - 1)],
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.year()
    )
}

/// What ConfirmDevice needs, and the device password to keep for DEVICE_SRP_AUTH.
pub struct DeviceVerifier {
    /// Keep it (0600): it is the device's credential.
    pub password: SecretString,
    /// PasswordVerifier: base64 of `pad(g^x mod N)`.
    pub verifier: String,
    /// Salt: base64 of `pad(salt)`.
    pub salt: String,
}

impl fmt::Debug for DeviceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceVerifier")
            .field("verifier", &self.verifier)
            .field("salt", &self.salt)
            .finish_non_exhaustive()
    }
}

impl DeviceVerifier {
    /// A fresh device password (40 random bytes, base64) and salt (16 random bytes), and the
    /// verifier for them.
    pub fn generate(device_group_key: &str, device_key: &str) -> Result<Self, Error> {
        let mut password = Zeroizing::new([0u8; DEVICE_PASSWORD_BYTES]);
        random_bytes(password.as_mut_slice())?;
        let mut salt = [0u8; DEVICE_SALT_BYTES];
        random_bytes(&mut salt)?;
        Ok(Self::with_random(
            device_group_key,
            device_key,
            password.as_slice(),
            &salt,
        ))
    }

    /// The verifier for the given random bytes: for known-answer tests.
    pub fn with_random(
        device_group_key: &str,
        device_key: &str,
        password_bytes: &[u8],
        salt_bytes: &[u8],
    ) -> Self {
        let grp = group();
        let password = SecretString::from(general_purpose::STANDARD.encode(password_bytes));
        let salt = pad(&BigUint::from_bytes_be(salt_bytes));
        let inner = Zeroizing::new(sha256(&[
            device_group_key.as_bytes(),
            device_key.as_bytes(),
            b":",
            password.expose_secret().as_bytes(),
        ]));
        let x = BigUint::from_bytes_be(&sha256(&[&salt, inner.as_slice()]));
        let verifier = grp.g.modpow(&x, &grp.n);
        DeviceVerifier {
            password,
            verifier: STANDARD.encode(pad(&verifier)),
            salt: STANDARD.encode(&salt),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pad_adds_a_zero_byte_only_for_the_top_bit() {
        assert_eq!(pad(&BigUint::from(0x7fu32)), vec![0x7f]);
        assert_eq!(pad(&BigUint::from(0x80u32)), vec![0x00, 0x80]);
        assert_eq!(pad(&BigUint::ZERO), vec![0x00]);
        assert_eq!(pad(&group().n).len(), 385);
    }

    #[test]
    fn k_is_the_known_constant() {
        // k = H(pad(N) | pad(g)) for the 3072-bit group, as amazon-cognito-identity-js computes it.
        assert_eq!(
            group().k.to_str_radix(16),
            "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6"
        );
    }

    #[test]
    fn timestamp_has_no_leading_zero_in_the_day() {
        let at = |unix| time::OffsetDateTime::from_unix_timestamp(unix).unwrap();
        // date -u -d @1793581509: Mon Nov  2 01:05:09 UTC 2026
        assert_eq!(timestamp(at(1_793_581_509)), "Mon Nov 2 01:05:09 UTC 2026");
        // date -u -d @1709251199: Thu Feb 29 23:59:59 UTC 2024
        assert_eq!(timestamp(at(1_709_251_199)), "Thu Feb 29 23:59:59 UTC 2024");
    }

    #[test]
    fn secret_block_is_decoded_leniently() {
        assert_eq!(secret_block_bytes("AAEC"), vec![0, 1, 2]);
        // moto's UUID: dashes dropped, the rest decoded as base64.
        let uuid = "0b7e5e2a-1d0c-4e39-9b9e-3c8d2f1e4a5b";
        let bytes = secret_block_bytes(uuid);
        assert_eq!(bytes.len(), 24);
        assert_eq!(
            bytes,
            STANDARD.decode("0b7e5e2a1d0c4e399b9e3c8d2f1e4a5b").unwrap()
        );
        // Nothing left: nothing (as Python's decoder gives); undecodable: signed as sent.
        assert_eq!(secret_block_bytes("%"), Vec::<u8>::new());
        assert_eq!(secret_block_bytes("A%"), b"A%".to_vec());
    }

    #[test]
    fn both_sides_derive_the_same_key() {
        // Plays the server: v = g^x, B = k*v + g^b, S = (A * v^u)^b. The client's signature
        // must match the one the server computes with the same key.
        let grp = group();
        let password = SecretString::from("Correct-Horse-1");
        let id = Identity {
            realm: "Abc123",
            user: "alice",
            password: &password,
        };
        let salt = BigUint::parse_bytes(b"5a1f", 16).unwrap();
        let inner = sha256(&[b"Abc123", b"alice", b":", b"Correct-Horse-1"]);
        let x = BigUint::from_bytes_be(&sha256(&[&pad(&salt), &inner]));
        let v = grp.g.modpow(&x, &grp.n);
        let b = BigUint::from(0x1234_5678_9abc_def0u64);
        let big_b = (&grp.k * &v + grp.g.modpow(&b, &grp.n)) % &grp.n;

        let client = SrpClient::with_private(&[7u8; 128]).unwrap();
        let big_a = BigUint::parse_bytes(client.srp_a().as_bytes(), 16).unwrap();
        let u = BigUint::from_bytes_be(&sha256(&[&pad(&big_a), &pad(&big_b)]));
        let s = (&big_a * v.modpow(&u, &grp.n)).modpow(&b, &grp.n);
        let mut server_key = [0u8; 16];
        Hkdf::<Sha256>::new(Some(&pad(&u)), &pad(&s))
            .expand(INFO, &mut server_key)
            .unwrap();

        let challenge = ServerChallenge {
            srp_b: &big_b.to_str_radix(16),
            salt: "5a1f",
            secret_block: "c2VjcmV0",
        };
        let client_key = client.key(id, &challenge).unwrap();
        assert_eq!(client_key.as_slice(), &server_key);

        // A wrong password gives another key.
        let wrong = SecretString::from("wrong");
        let other = client
            .key(
                Identity {
                    password: &wrong,
                    ..id
                },
                &challenge,
            )
            .unwrap();
        assert_ne!(other.as_slice(), &server_key);
    }

    #[test]
    fn bad_server_values_are_errors() {
        let password = SecretString::from("p");
        let id = Identity {
            realm: "r",
            user: "u",
            password: &password,
        };
        let client = SrpClient::with_private(&[1u8; 128]).unwrap();
        let n_hex = group().n.to_str_radix(16);
        for (b, salt) in [
            ("zz", "01"),
            ("0", "01"),
            (n_hex.as_str(), "01"),
            ("02", "xyz"),
        ] {
            let c = ServerChallenge {
                srp_b: b,
                salt,
                secret_block: "AA==",
            };
            assert!(client.signature(id, &c, "t").is_err(), "{b} {salt}");
        }
    }

    #[test]
    fn debug_shows_no_secret() {
        let v = DeviceVerifier::with_random("g", "k", &[9u8; 40], &[3u8; 16]);
        let debug = format!("{v:?}");
        assert!(!debug.contains(v.password.expose_secret()));
        let client = SrpClient::with_private(&[5u8; 128]).unwrap();
        assert_eq!(format!("{client:?}"), "SrpClient { .. }");
    }
}
