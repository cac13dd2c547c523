//! Check characters of the national identifier standards: ISO 7064 MOD 11-2 (resident ID
//! number, GB 11643, and the website badge code) and the GB 32100-2015 unified social credit
//! code.

/// ISO 7064 MOD 11-2 check character over a string of ASCII digits ('0'-'9' or 'X').
/// Returns `None` if any character is not a digit.
pub fn mod11_2_check(digits: &str) -> Option<char> {
    let mut p: u32 = 0;
    for c in digits.chars() {
        let d = c.to_digit(10)?;
        p = ((p + d) * 2) % 11;
    }
    let check = (12 - p % 11) % 11;
    Some(if check == 10 { 'X' } else { char::from_digit(check, 10).expect("check < 10") })
}

/// The 31 characters of a unified social credit code (no I, O, S, V, Z).
const USCC_CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// GB 32100-2015 check character over the first 17 characters of a credit code.
pub fn uscc_check(first17: &str) -> Option<char> {
    if first17.chars().count() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(USCC_WEIGHTS) {
        let value = USCC_CHARSET.find(c)? as u32;
        sum += value * w;
    }
    let check = (31 - sum % 31) % 31;
    USCC_CHARSET.chars().nth(check as usize)
}

/// Whether every character is one of the credit-code alphabet.
pub fn is_uscc_char(c: char) -> bool {
    USCC_CHARSET.contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_card_check_characters() {
        // Published specimen numbers from GB 11643 examples.
        assert_eq!(mod11_2_check("11010519491231002"), Some('X'));
        assert_eq!(mod11_2_check("44052418800101001"), Some('4'));
        assert_eq!(mod11_2_check("1101051949123100A"), None);
    }

    #[test]
    fn uscc_check_characters() {
        // Specimen codes printed in GB 32100-2015 and on public licences.
        assert_eq!(uscc_check("91350100M000100Y4"), Some('3'));
        assert_eq!(uscc_check("11100000000013127"), Some('D'));
        assert_eq!(uscc_check("9135010"), None);
        assert_eq!(uscc_check("91350100M000100I4"), None);
    }
}
