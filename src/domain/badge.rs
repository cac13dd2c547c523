//! Website badge codes (网站标识代码) and the status of an issued badge.
//!
//! A code is 13 characters: the unit's 6-digit region code, a 6-digit serial within that
//! region, and an ISO 7064 MOD 11-2 check character (0-9 or X) over the 12 digits.

use std::fmt;

use serde::{Serialize, Serializer};

use super::check_digits::mod11_2_check;
use super::region::RegionCode;

/// The highest serial a region can issue.
pub const MAX_SERIAL: u32 = 999_999;

/// The badge's nominal width on a page, in CSS pixels (the install snippet reserves it, the
/// rendered check holds pages to it).
pub const BADGE_WIDTH: u32 = 110;
/// The badge's nominal height on a page, in CSS pixels.
pub const BADGE_HEIGHT: u32 = 55;

/// A website badge code (网站标识代码), its check character verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BadgeCode(String);

impl BadgeCode {
    /// The code for `serial` (1..=999999) in `region`.
    pub fn new(region: &RegionCode, serial: u32) -> Option<Self> {
        if serial == 0 || serial > MAX_SERIAL {
            return None;
        }
        let body = format!("{}{serial:06}", region.as_str());
        let check = mod11_2_check(&body)?;
        Some(Self(format!("{body}{check}")))
    }

    /// Parses a code and verifies its check character.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_uppercase();
        if t.len() != 13 || !t.is_ascii() {
            return None;
        }
        let (body, check) = t.split_at(12);
        RegionCode::parse(&body[..6]).ok()?;
        if mod11_2_check(body)?.to_string() != check {
            return None;
        }
        Some(Self(t))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The region the code was issued in (its first six digits).
    pub fn region(&self) -> RegionCode {
        RegionCode::parse(&self.0[..6]).expect("checked at construction")
    }
}

/// Why text is not a badge code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a badge code: 13 characters, a 6-digit region code, a 6-digit serial and the matching check character (0-9 or X)")]
pub struct InvalidBadgeCode;

impl std::str::FromStr for BadgeCode {
    type Err = InvalidBadgeCode;

    fn from_str(text: &str) -> Result<Self, InvalidBadgeCode> {
        Self::parse(text).ok_or(InvalidBadgeCode)
    }
}

impl<'de> serde::Deserialize<'de> for BadgeCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom(InvalidBadgeCode))
    }
}

impl fmt::Display for BadgeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for BadgeCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// A badge code of the national system that came before (CONAC): `CA` and 21 digits, e.g.
/// `CA010000000604412140001` (a region part, an 8-digit unit part, a 4-digit website number).
/// Sites registered before govbadge keep theirs as their legacy code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegacyCode(String);

impl LegacyCode {
    /// Parses a legacy code (`ca` is taken as `CA`).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        let digits = t.strip_prefix("CA").or_else(|| t.strip_prefix("ca"))?;
        (digits.len() == 21 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| Self(format!("CA{digits}")))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LegacyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The code a site's pages must carry: a govbadge code, or the legacy code of a site registered
/// before govbadge that has none yet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SiteCode {
    /// A govbadge code.
    Badge(BadgeCode),
    /// A national (CONAC) code.
    Legacy(LegacyCode),
}

impl SiteCode {
    /// Parses either form.
    pub fn parse(text: &str) -> Option<Self> {
        BadgeCode::parse(text).map(Self::Badge).or_else(|| LegacyCode::parse(text).map(Self::Legacy))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Badge(c) => c.as_str(),
            Self::Legacy(c) => c.as_str(),
        }
    }
}

/// Why text is neither a badge code nor a legacy code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a badge code: a 13-character govbadge code (6-digit region, 6-digit serial, check character) or a national code (CA and 21 digits)")]
pub struct InvalidSiteCode;

impl std::str::FromStr for SiteCode {
    type Err = InvalidSiteCode;

    fn from_str(text: &str) -> Result<Self, InvalidSiteCode> {
        Self::parse(text).ok_or(InvalidSiteCode)
    }
}

impl<'de> serde::Deserialize<'de> for SiteCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom(InvalidSiteCode))
    }
}

impl Serialize for SiteCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for SiteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Status of an issued badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum BadgeStatus {
    /// In force.
    Active,
    /// Suspended by the office (may be reinstated).
    Suspended,
    /// Revoked for good.
    Revoked,
}

crate::domain::words!(BadgeStatus);

/// For reading stored rows.
impl TryFrom<String> for BadgeStatus {
    type Error = strum::ParseError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl BadgeStatus {
    /// The status's name in the UI.
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "有效",
            Self::Suspended => "暂停",
            Self::Revoked => "撤销",
        }
    }

    /// Suspend, reinstate and revoke; a revoked badge stays revoked.
    pub fn can_become(self, next: BadgeStatus) -> bool {
        matches!(
            (self, next),
            (Self::Active, Self::Suspended)
                | (Self::Suspended, Self::Active)
                | (Self::Active | Self::Suspended, Self::Revoked)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_carry_region_serial_and_check() {
        let region = RegionCode::parse("410922").unwrap();
        let code = BadgeCode::new(&region, 1).unwrap();
        assert_eq!(&code.as_str()[..12], "410922000001");
        assert_eq!(code.as_str().len(), 13);
        assert_eq!(BadgeCode::parse(code.as_str()), Some(code.clone()));
        assert_eq!(code.region(), region);
        // Any single changed digit is caught by the check character.
        for i in 0..12 {
            let mut bytes = code.as_str().as_bytes().to_vec();
            bytes[i] = if bytes[i] == b'9' { b'0' } else { bytes[i] + 1 };
            assert_eq!(BadgeCode::parse(std::str::from_utf8(&bytes).unwrap()), None);
        }
        assert_eq!(BadgeCode::new(&region, 0), None);
        assert_eq!(BadgeCode::new(&region, 1_000_000), None);
    }

    #[test]
    fn legacy_codes_are_ca_and_21_digits() {
        let code = LegacyCode::parse(" ca010000000604412140001 ").unwrap();
        assert_eq!(code.as_str(), "CA010000000604412140001");
        assert_eq!(LegacyCode::parse("CA01000000060441214000"), None);
        assert_eq!(LegacyCode::parse("CA01000000060441214000X"), None);
        assert_eq!(LegacyCode::parse("CB010000000604412140001"), None);
        assert!(matches!(SiteCode::parse("CA010000000604412140001"), Some(SiteCode::Legacy(_))));
        let ours = BadgeCode::new(&RegionCode::parse("410922").unwrap(), 1).unwrap();
        assert_eq!(SiteCode::parse(ours.as_str()), Some(SiteCode::Badge(ours)));
        assert_eq!(SiteCode::parse("4109220000019"), None);
    }

    #[test]
    fn status_transitions() {
        use BadgeStatus::*;
        assert!(Active.can_become(Suspended));
        assert!(Suspended.can_become(Active));
        assert!(Suspended.can_become(Revoked));
        assert!(!Revoked.can_become(Active));
        assert!(!Active.can_become(Active));
    }
}
