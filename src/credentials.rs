//! API credentials: tokens people present as `Authorization: Bearer <token>`, of which the
//! config keeps only the SHA-256 (`token_sha256 = "…"`), so a leaked config grants nothing.
//!
//! SHA-256 and randomness come from `ring`, already compiled in for rustls.

use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};

/// Bytes of OS randomness in a fresh token (256 bits).
pub const TOKEN_RANDOM_BYTES: usize = 32;

/// The prefix of generated tokens: it makes them recognisable to secret scanners and people.
pub const TOKEN_PREFIX: &str = "wr_";

/// The SHA-256 of a token. Debug shows only that it is a hash.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash([u8; 32]);

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenHashError {
    #[error("is blank; paste the token_sha256 line that `warroom token new` prints")]
    Blank,
    #[error("must be 64 hexadecimal characters (a SHA-256), got {0} characters")]
    Length(usize),
    #[error("must be 64 hexadecimal characters (a SHA-256); it contains a non-hex character")]
    NotHex,
}

impl TokenHash {
    /// Hashes a presented token.
    pub fn of(token: &str) -> TokenHash {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
        TokenHash(bytes)
    }

    /// Parses the hex form found in the config (either case).
    pub fn parse_hex(text: &str) -> Result<TokenHash, TokenHashError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TokenHashError::Blank);
        }
        if text.len() != 64 {
            return Err(TokenHashError::Length(text.chars().count()));
        }
        let mut bytes = [0u8; 32];
        for (index, pair) in text.as_bytes().chunks(2).enumerate() {
            let high = hex_value(pair[0]).ok_or(TokenHashError::NotHex)?;
            let low = hex_value(pair[1]).ok_or(TokenHashError::NotHex)?;
            bytes[index] = high << 4 | low;
        }
        Ok(TokenHash(bytes))
    }

    /// Lower-case hex, as written in the config.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// Compares without an early exit, so timing does not reveal how much matched.
    pub fn matches(&self, other: &TokenHash) -> bool {
        let mut difference = 0u8;
        for (a, b) in self.0.iter().zip(other.0.iter()) {
            difference |= a ^ b;
        }
        difference == 0
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct RandomError;

/// A fresh token: `wr_` and 64 hex characters from 32 bytes of OS randomness (URL-safe).
pub fn new_token() -> Result<String, RandomError> {
    let mut bytes = [0u8; TOKEN_RANDOM_BYTES];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| RandomError)?;
    Ok(format!("{TOKEN_PREFIX}{}", to_hex(&bytes)))
}

/// `count` bytes of OS randomness as lower-case hex: web session ids and CSRF tokens.
pub fn random_hex(count: usize) -> Result<String, RandomError> {
    let mut bytes = vec![0u8; count];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| RandomError)?;
    Ok(to_hex(&bytes))
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_the_standard_sha256() {
        // printf abc | sha256sum
        assert_eq!(
            TokenHash::of("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hex_round_trips_and_bad_hex_is_refused() {
        let hash = TokenHash::of("demo-alice-token");
        assert_eq!(TokenHash::parse_hex(&hash.to_hex()), Ok(hash));
        assert_eq!(
            TokenHash::parse_hex(&hash.to_hex().to_ascii_uppercase()),
            Ok(hash)
        );
        for (text, expected) in [
            ("", TokenHashError::Blank),
            ("   ", TokenHashError::Blank),
            ("abc", TokenHashError::Length(3)),
            (&"g".repeat(64), TokenHashError::NotHex),
            (&"é".repeat(32), TokenHashError::NotHex),
        ] {
            assert_eq!(TokenHash::parse_hex(text), Err(expected), "{text:?}");
        }
    }

    #[test]
    fn matching_is_exact() {
        let alice = TokenHash::of("alice");
        assert!(alice.matches(&TokenHash::of("alice")));
        assert!(!alice.matches(&TokenHash::of("alicf")));
        assert!(!format!("{alice:?}").contains(&alice.to_hex()[..8]));
    }

    #[test]
    fn new_tokens_are_long_url_safe_and_distinct() {
        let first = new_token().unwrap();
        let second = new_token().unwrap();
        assert_ne!(first, second);
        assert_eq!(first.len(), TOKEN_PREFIX.len() + 2 * TOKEN_RANDOM_BYTES);
        assert!(
            first
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        );
    }
}
