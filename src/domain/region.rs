//! Administrative divisions (GB/T 2260 six-digit codes) and the administrative levels at which
//! staffing offices (编办) review applications.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A six-digit administrative division code such as `410922` (清丰县).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode([u8; 6]);

impl RegionCode {
    /// Parses a six-digit code (the message says what is wrong, in Chinese).
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let bytes = text.as_bytes();
        if bytes.len() != 6 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err("行政区划代码应为6位数字");
        }
        if &bytes[..2] == b"00" {
            return Err("行政区划代码的省级部分无效");
        }
        let mut code = [0; 6];
        code.copy_from_slice(bytes);
        Ok(Self(code))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII digits")
    }

    /// The level a code names: `xx0000` a province, `xxxx00` a city, otherwise a county.
    pub fn level(&self) -> Level {
        if &self.0[2..] == b"0000" {
            Level::Province
        } else if &self.0[4..] == b"00" {
            Level::City
        } else {
            Level::County
        }
    }

    /// The code prefix shared by every division under this one.
    pub fn jurisdiction_prefix(&self) -> &str {
        let s = self.as_str();
        match self.level() {
            Level::Province => &s[..2],
            Level::City => &s[..4],
            Level::County | Level::Central => s,
        }
    }

    /// The division at `level` that holds this one (`410922` at the city level is `410900`);
    /// itself at its own level or below.
    pub fn at_level(&self, level: Level) -> RegionCode {
        let keep = match level {
            Level::Province => 2,
            Level::City => 4,
            Level::County | Level::Central => 6,
        };
        let mut code = self.0;
        code[keep..].fill(b'0');
        RegionCode(code)
    }

    /// Whether `other` lies within this division (or is it).
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.as_str().starts_with(self.jurisdiction_prefix())
    }
}

/// The administrative divisions govbadge knows by name (`data/regions.tsv`), in code order:
/// each province before its cities, each city before its counties.
pub fn known_regions() -> impl Iterator<Item = (&'static str, &'static str)> {
    const TABLE: &str = include_str!("../../data/regions.tsv");
    TABLE.lines().filter_map(|l| l.split_once('\t'))
}

/// The name of a division, or "" when it is not in the table.
pub fn region_name(code: &str) -> &'static str {
    known_regions().find(|(c, _)| *c == code).map_or("", |(_, n)| n)
}

/// The name of the staffing office at `level` for a unit of `region` (濮阳市委编办; 中央编办 for
/// the central level or a unit without a region); `None` when the division has no known name.
pub fn staffing_office(region: Option<RegionCode>, level: Level) -> Option<String> {
    match (region, level) {
        (_, Level::Central) | (None, _) => Some("中央编办".to_owned()),
        (Some(region), level) => {
            Some(region_name(region.at_level(level).as_str())).filter(|n| !n.is_empty()).map(|n| format!("{n}委编办"))
        }
    }
}

/// Why text is not a region code (the message is for people, in Chinese).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidRegionCode(pub &'static str);

impl std::str::FromStr for RegionCode {
    type Err = InvalidRegionCode;

    fn from_str(text: &str) -> Result<Self, InvalidRegionCode> {
        Self::parse(text.trim()).map_err(InvalidRegionCode)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RegionCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RegionCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RegionCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Administrative level of a unit or a staffing office, lowest first.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Level {
    /// A county, district or county-level city (县级).
    County,
    /// A prefecture-level city (市级).
    City,
    /// A province, autonomous region or municipality (省级).
    Province,
    /// The central office (中央).
    Central,
}

crate::domain::words!(Level);

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 4] = [Level::County, Level::City, Level::Province, Level::Central];

    /// The Chinese name used in the UI.
    pub fn label(self) -> &'static str {
        match self {
            Level::County => "县级",
            Level::City => "市级",
            Level::Province => "省级",
            Level::Central => "中央",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offices_by_level() {
        let qingfeng = RegionCode::parse("410922").unwrap();
        assert_eq!(qingfeng.at_level(Level::City).as_str(), "410900");
        assert_eq!(qingfeng.at_level(Level::Province).as_str(), "410000");
        assert_eq!(staffing_office(Some(qingfeng), Level::County).as_deref(), Some("清丰县委编办"));
        assert_eq!(staffing_office(Some(qingfeng), Level::City).as_deref(), Some("濮阳市委编办"));
        assert_eq!(staffing_office(Some(qingfeng), Level::Central).as_deref(), Some("中央编办"));
        assert_eq!(staffing_office(None, Level::County).as_deref(), Some("中央编办"));
        assert_eq!(staffing_office(Some(RegionCode::parse("419999").unwrap()), Level::County), None);
    }

    #[test]
    fn levels_and_containment() {
        let province = RegionCode::parse("410000").unwrap();
        let city = RegionCode::parse("410900").unwrap();
        let county = RegionCode::parse("410922").unwrap();
        let other_county = RegionCode::parse("410923").unwrap();
        assert_eq!(province.level(), Level::Province);
        assert_eq!(city.level(), Level::City);
        assert_eq!(county.level(), Level::County);
        assert!(province.contains(&county) && city.contains(&county) && county.contains(&county));
        assert!(!county.contains(&other_county));
        assert!(!city.contains(&RegionCode::parse("411000").unwrap()));
    }

    #[test]
    fn malformed_codes() {
        for bad in ["", "41092", "4109222", "41092a", "000000", "４１０９２２"] {
            assert!(RegionCode::parse(bad).is_err(), "{bad}");
        }
    }
}
