//! Changes (变更) and cancellations (注销) of a badged site: what a unit may change, the
//! request's states, and who decides (the staffing office of the unit's own level).

use serde::Serialize;

use super::account::{Actor, Role};
use super::region::{Level, RegionCode};

/// What the unit asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RequestKind {
    /// 变更: the site's name, domains or contacts.
    Change,
    /// 注销: the site is closed and its badge cancelled.
    Cancel,
}

crate::domain::words!(RequestKind);

impl RequestKind {
    /// The kind in the UI.
    pub fn label(self) -> &'static str {
        match self {
            Self::Change => "变更申请",
            Self::Cancel => "注销申请",
        }
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RequestState {
    /// Waiting for the office.
    Pending,
    /// Approved: a change is in force, a cancelled site closed.
    Approved,
    /// Refused, with the office's reason.
    Rejected,
}

crate::domain::words!(RequestState);

impl RequestState {
    /// The state in the UI.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "待审核",
            Self::Approved => "已通过",
            Self::Rejected => "未通过",
        }
    }
}

/// The fields a change may touch, with their labels: the site's name, its domains, the
/// contacts, and its government website identifier (网站标识码).
pub const CHANGEABLE_FIELDS: [(&str, &str); 12] = [
    ("site_name", "网站名称"),
    ("domain_cn", "中文域名"),
    ("domain_en", "英文域名"),
    ("principal_name", "网站主要负责人"),
    ("principal_phone", "负责人固定电话"),
    ("principal_mobile", "负责人手机"),
    ("principal_email", "负责人电子邮箱"),
    ("handler_name", "申请经办人"),
    ("handler_phone", "经办人固定电话"),
    ("handler_mobile", "经办人手机"),
    ("handler_email", "经办人电子邮箱"),
    ("site_id_code", "网站标识码"),
];

/// The label of a changeable field.
pub fn field_label(field: &str) -> &str {
    CHANGEABLE_FIELDS.iter().find(|(f, _)| *f == field).map_or(field, |(_, l)| *l)
}

/// Whether `actor` decides the requests of a unit at `unit_level` in `unit_region`: a reviewer
/// of the unit's own level covering its region (中央编办 for central bodies).
pub fn decides(actor: &Actor, unit_level: Level, unit_region: Option<&RegionCode>) -> bool {
    actor.role == Role::Reviewer && actor.level == Some(unit_level) && actor.covers_region(unit_region)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reviewer(level: Level, region: Option<&str>) -> Actor {
        Actor {
            account_id: 1,
            role: Role::Reviewer,
            level: Some(level),
            region: region.map(|r| RegionCode::parse(r).unwrap()),
        }
    }

    #[test]
    fn the_unit_own_level_office_decides() {
        let county = RegionCode::parse("410922").unwrap();
        assert!(decides(&reviewer(Level::County, Some("410922")), Level::County, Some(&county)));
        assert!(!decides(&reviewer(Level::County, Some("410923")), Level::County, Some(&county)), "another county");
        assert!(!decides(&reviewer(Level::City, Some("410900")), Level::County, Some(&county)), "the level above");
        assert!(decides(&reviewer(Level::Central, None), Level::Central, None));
        let supervisor = Actor { role: Role::Supervisor, ..reviewer(Level::County, Some("410922")) };
        assert!(!decides(&supervisor, Level::County, Some(&county)));
    }
}
