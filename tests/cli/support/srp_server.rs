//! The server side of Cognito's SRP, for the HTTP stub: it issues SRP_B for a verifier and
//! checks the client's PASSWORD_CLAIM_SIGNATURE the way Cognito would. Written from the
//! protocol (SRP-6a over RFC 5054's 3072-bit group, as amazon-cognito-identity-js uses it),
//! independently of `cognito_refresh::signin::srp`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use num_bigint::BigUint;
use sha2::{Digest, Sha256};

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

fn n() -> BigUint {
    BigUint::parse_bytes(N_HEX.as_bytes(), 16).unwrap()
}

/// Sign-safe big-endian bytes, as Java's BigInteger.toByteArray.
fn pad(x: &BigUint) -> Vec<u8> {
    let mut b = x.to_bytes_be();
    if b[0] >= 0x80 {
        b.insert(0, 0);
    }
    b
}

fn h(parts: &[&[u8]]) -> Vec<u8> {
    let mut d = Sha256::new();
    for p in parts {
        d.update(p);
    }
    d.finalize().to_vec()
}

/// What the server keeps of a password: salt and verifier `g^x`.
#[derive(Debug, Clone)]
pub struct Verifier {
    pub salt: BigUint,
    pub v: BigUint,
}

impl Verifier {
    /// From a password, as the user pool computes it at sign-up.
    pub fn from_password(realm: &str, user: &str, password: &str, salt: &[u8]) -> Verifier {
        let salt = BigUint::from_bytes_be(salt);
        let inner = h(&[realm.as_bytes(), user.as_bytes(), b":", password.as_bytes()]);
        let x = BigUint::from_bytes_be(&h(&[&pad(&salt), &inner]));
        Verifier {
            v: BigUint::from(2u32).modpow(&x, &n()),
            salt,
        }
    }

    /// From ConfirmDevice's DeviceSecretVerifierConfig (base64 PasswordVerifier and Salt).
    pub fn from_confirm_device(password_verifier: &str, salt: &str) -> Verifier {
        Verifier {
            v: BigUint::from_bytes_be(&STANDARD.decode(password_verifier).unwrap()),
            salt: BigUint::from_bytes_be(&STANDARD.decode(salt).unwrap()),
        }
    }
}

/// One exchange: the server's private `b` and the values it sends.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub verifier: Verifier,
    b: BigUint,
    pub a: BigUint,
}

impl Exchange {
    /// Takes the client's SRP_A; `seed` stands in for the server's randomness.
    pub fn new(verifier: Verifier, srp_a: &str, seed: u64) -> Exchange {
        let a = BigUint::parse_bytes(srp_a.as_bytes(), 16).expect("SRP_A is hexadecimal");
        assert!(&a % n() != BigUint::ZERO, "SRP_A is 0 mod N");
        let b = BigUint::from_bytes_be(&h(&[b"server b", &seed.to_be_bytes()]));
        Exchange { verifier, b, a }
    }

    fn k() -> BigUint {
        BigUint::from_bytes_be(&h(&[&pad(&n()), &pad(&BigUint::from(2u32))]))
    }

    /// SRP_B, hexadecimal.
    pub fn srp_b(&self) -> String {
        self.big_b().to_str_radix(16)
    }

    /// SALT, hexadecimal.
    pub fn salt(&self) -> String {
        self.verifier.salt.to_str_radix(16)
    }

    fn big_b(&self) -> BigUint {
        (Self::k() * &self.verifier.v + BigUint::from(2u32).modpow(&self.b, &n())) % n()
    }

    /// The signature a client that knows the password must send.
    pub fn expected_signature(&self, realm: &str, user: &str, block: &str, ts: &str) -> String {
        let u = BigUint::from_bytes_be(&h(&[&pad(&self.a), &pad(&self.big_b())]));
        let s = (&self.a * self.verifier.v.modpow(&u, &n())).modpow(&self.b, &n());
        let mut key = [0u8; 16];
        hkdf::Hkdf::<Sha256>::new(Some(&pad(&u)), &pad(&s))
            .expand(b"Caldera Derived Key", &mut key)
            .unwrap();
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
        mac.update(realm.as_bytes());
        mac.update(user.as_bytes());
        mac.update(&STANDARD.decode(block).unwrap());
        mac.update(ts.as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }
}
