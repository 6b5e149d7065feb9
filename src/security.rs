//! Secrets: argon2id password hashes, random tokens, SHA-256 digests for stored tokens and
//! session ids, and HMAC signatures for the session cookie.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Whether `password` matches a stored hash. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Spends the same time as a real verification, for sign-ins with an unknown user name, so
/// that timing does not tell which user names exist.
pub fn verify_against_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("no such user").unwrap_or_default());
    let _ = verify_password(password, hash);
}

/// `bytes` random bytes from the operating system, as lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex(&buf)
}

/// A random password that people can type: 16 characters without look-alikes.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 16];
    OsRng.fill_bytes(&mut buf);
    buf.iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

pub fn sha256_hex(data: &str) -> String {
    hex(&Sha256::digest(data.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Signs and checks the session cookie's value with the session key.
#[derive(Clone)]
pub struct CookieSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for CookieSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CookieSigner(***)")
    }
}

impl CookieSigner {
    pub fn new(key: &[u8]) -> Self {
        CookieSigner { key: key.to_vec() }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length.
        Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length")
    }

    /// `value.signature`
    pub fn sign(&self, value: &str) -> String {
        let mut mac = self.mac();
        mac.update(value.as_bytes());
        format!("{value}.{}", hex(&mac.finalize().into_bytes()))
    }

    /// The value of a signed string, if the signature is right (compared in constant time).
    pub fn verify<'a>(&self, signed: &'a str) -> Option<&'a str> {
        let (value, signature) = signed.rsplit_once('.')?;
        let signature = unhex(signature)?;
        let mut mac = self.mac();
        mac.update(value.as_bytes());
        mac.verify_slice(&signature).ok().map(|_| value)
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Compares two secrets in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horsE", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn signatures_fail_when_value_or_key_change() {
        let signer = CookieSigner::new(&[7u8; 64]);
        let signed = signer.sign("abc123");
        assert_eq!(signer.verify(&signed), Some("abc123"));
        assert_eq!(signer.verify(&signed.replace("abc", "abd")), None);
        assert_eq!(CookieSigner::new(&[8u8; 64]).verify(&signed), None);
        assert_eq!(signer.verify("abc123"), None);
        assert_eq!(signer.verify("abc123.zz"), None);
    }

    #[test]
    fn random_values_differ_and_have_the_asked_length() {
        let a = random_hex(32);
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_hex(32));
        assert_eq!(random_password().chars().count(), 16);
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("a", "ab"));
    }
}
