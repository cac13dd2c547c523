//! Byte searches eight bytes at a time in a plain `u64` ("SIMD within a register"), for the
//! short runs the page check would otherwise read byte by byte: tag and attribute names, and
//! URLs; and the first eight bytes of a search for one byte ([`find`]) before memchr takes
//! the long runs over. These runs are a few bytes long, where a byte loop pays a mispredicted
//! branch at its end and memchr its call and set-up.
//!
//! A search flags bytes by setting their high bit. The lowest flag of a search, and of
//! several searches or-ed together, is always a byte that matches; flags above a match may be
//! false (a borrow carried up), so a caller either takes the lowest flag or checks each one.

const ONES: u64 = u64::from_le_bytes([1; 8]);
const HIGH: u64 = ONES * 0x80;

/// The eight bytes from `at` (the first in the low byte), if there are eight.
#[inline]
pub fn word_at(bytes: &[u8], at: usize) -> Option<u64> {
    let eight: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(eight))
}

/// Flags the bytes of `word` equal to `byte`.
#[inline]
pub fn equal(word: u64, byte: u8) -> u64 {
    let zeroed = word ^ (ONES * u64::from(byte));
    zeroed.wrapping_sub(ONES) & !zeroed & HIGH
}

/// Flags the bytes of `word` below `bound` (at most 0x80).
#[inline]
pub fn below(word: u64, bound: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(bound)) & !word & HIGH
}

/// `word` with its ASCII capitals in lower case, for [`equal`] to a lower-case letter (any
/// other byte may change too, but none becomes a letter it was not in either case).
#[inline]
pub fn folded(word: u64) -> u64 {
    word | (ONES * 0x20)
}

/// Flags the ASCII capital letters of `word` (exactly: no false flags).
#[inline]
pub fn capitals(word: u64) -> u64 {
    // Per byte, on its low seven bits (no carry crosses a byte): at least `A`, and not above `Z`.
    let low7 = word & (ONES * 0x7f);
    let from_a = low7 + ONES * u64::from(0x80 - b'A');
    let above_z = low7 + ONES * u64::from(0x80 - b'Z' - 1);
    from_a & !above_z & !word & HIGH
}

/// The first `len` bytes of `word` (all of it from 8), the others zero.
#[inline]
pub fn prefix(word: u64, len: usize) -> u64 {
    if len >= 8 {
        word
    } else {
        word & ((1 << (8 * len)) - 1)
    }
}

/// Up to eight bytes as a word, as [`word_at`] reads them (the others zero).
pub const fn pack(bytes: &[u8]) -> u64 {
    let mut word = 0;
    let mut i = bytes.len();
    while i > 0 {
        i -= 1;
        word = (word << 8) | bytes[i] as u64;
    }
    word
}

/// The offsets of the flagged bytes in a word, lowest first.
#[inline]
pub fn offsets(mut flags: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let offset = first(flags)?;
        flags &= flags - 1;
        Some(offset)
    })
}

/// The first `byte` at or after `from`: the next eight bytes are looked at in a word, and only
/// beyond them does memchr take over. Most searches of markup end within a few bytes (the
/// white space between two tags, a short attribute value), where memchr's call and set-up
/// cost more than the search.
#[inline(always)]
pub fn find(bytes: &[u8], from: usize, byte: u8) -> Option<usize> {
    if let Some(word) = word_at(bytes, from) {
        if let Some(offset) = first(equal(word, byte)) {
            return Some(from + offset);
        }
        let from = from + 8;
        return memchr::memchr(byte, &bytes[from..]).map(|offset| from + offset);
    }
    memchr::memchr(byte, bytes.get(from..)?).map(|offset| from + offset)
}

/// The offset of the lowest flagged byte, if any.
#[inline]
pub fn first(flags: u64) -> Option<usize> {
    (flags != 0).then(|| flags.trailing_zeros() as usize / 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value at every place of a word, against the plain comparisons.
    #[test]
    fn flags_agree_with_byte_comparisons() {
        for place in 0..8 {
            for value in 0..=255u8 {
                let mut bytes = [b'x'; 8];
                bytes[place] = value;
                let word = word_at(&bytes, 0).unwrap();
                assert_eq!(first(equal(word, b'=')), (value == b'=').then_some(place), "{value:#x} at {place}");
                let low = if value < 0x21 { Some(place) } else { None };
                assert_eq!(first(below(word, 0x21)), low, "{value:#x} at {place}");
                let letter = value.is_ascii_alphabetic() && value.eq_ignore_ascii_case(&b'v');
                assert_eq!(first(equal(folded(word), b'v')), letter.then_some(place), "{value:#x} at {place}");
            }
        }
    }

    #[test]
    fn capitals_prefixes_and_packing() {
        for value in 0..=255u8 {
            let word = word_at(&[b'a', value, b'Z', 0, 0, 0, 0, 0], 0).unwrap();
            let flagged: Vec<_> = offsets(capitals(word)).collect();
            let expected = if value.is_ascii_uppercase() { vec![1, 2] } else { vec![2] };
            assert_eq!(flagged, expected, "{value:#x}");
        }
        let word = word_at(b"hrefhref", 0).unwrap();
        assert_eq!(prefix(word, 4), pack(b"href"));
        assert_eq!(prefix(word, 8), word);
        assert_eq!(pack(b"hrefhref"), word);
    }

    #[test]
    fn find_agrees_with_a_byte_search() {
        let bytes = b"ab<cdefgh<ijklmnopqrstu<v";
        for from in 0..=bytes.len() + 1 {
            let expected = bytes.get(from..).and_then(|rest| rest.iter().position(|&b| b == b'<')).map(|at| from + at);
            assert_eq!(find(bytes, from, b'<'), expected, "from {from}");
            assert_eq!(find(bytes, from, b'!'), None, "from {from}");
        }
    }

    #[test]
    fn lowest_flag_is_exact_and_every_match_is_flagged() {
        let bytes = b"a=\x01=b==c";
        let flags = equal(word_at(bytes, 0).unwrap(), b'=');
        assert_eq!(first(flags), Some(1));
        let flagged: Vec<_> = offsets(flags).collect();
        for at in [1, 3, 5, 6] {
            assert!(flagged.contains(&at), "{at} in {flagged:?}");
        }
        assert_eq!(word_at(bytes, 1), None);
        assert_eq!(word_at(bytes, usize::MAX), None);
    }
}
