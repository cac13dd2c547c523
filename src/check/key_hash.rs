//! The hasher of the check's tables keyed by a 64-bit key: names' keys (`check::open`) and
//! fingerprints (`check::links::Fingerprints`). A multiply and a fold over the key, where the
//! standard tables would run `SipHash` over its eight bytes.

use std::hash::Hasher;

/// Hashes a `u64` key: a multiply and a fold, so that a table's index (its low bits) depends on
/// the whole key. A name's key packs its bytes (its first letter in the low byte), and would
/// crowd a table indexed by the key itself; a fingerprint is random already, and loses nothing.
#[derive(Debug, Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed here; any other input is folded in, never lost.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, key: u64) {
        self.0 = key;
    }

    fn finish(&self) -> u64 {
        let mixed = self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        mixed ^ (mixed >> 29)
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, BuildHasherDefault};

    use super::*;

    #[test]
    fn keys_that_differ_only_in_high_bytes_get_different_low_bits() {
        let build = BuildHasherDefault::<KeyHasher>::default();
        // Names' keys of one first letter ("div", "dl", "dd", …) share their low byte.
        let low_bits: std::collections::HashSet<u64> =
            (0..64u64).map(|high| build.hash_one((high << 8) | u64::from(b'd')) & 63).collect();
        assert!(low_bits.len() > 32, "{} of 64 slots used", low_bits.len());
    }
}
