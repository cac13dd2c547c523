//! Who acts: account roles and the scope each role works in.

use serde::{Deserialize, Serialize};

use super::region::{Level, RegionCode};

/// An account's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    /// 开办主体: a body that applies for its websites.
    Unit,
    /// Staff of a staffing office (编办) at a level; `Level::Central` is 中央编办.
    Reviewer,
    /// Read-only oversight of a region.
    Supervisor,
    /// Manages accounts.
    Admin,
}

crate::domain::words!(Role);

impl Role {
    /// Every role, for pickers and checks.
    pub const ALL: [Role; 4] = [Role::Unit, Role::Reviewer, Role::Supervisor, Role::Admin];

    /// The role's name in the UI.
    pub fn label(self) -> &'static str {
        match self {
            Role::Unit => "开办主体",
            Role::Reviewer => "审核人员",
            Role::Supervisor => "监督人员",
            Role::Admin => "系统管理员",
        }
    }
}

/// The acting account as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account acting.
    pub account_id: i64,
    /// Its role.
    pub role: Role,
    /// Level of a unit or a staffing office; `None` for admins.
    pub level: Option<Level>,
    /// Region of a unit, reviewer or supervisor; `None` for central accounts and admins.
    pub region: Option<RegionCode>,
}

impl Actor {
    /// Whether this account may see things of a unit in `unit_region` (central sees all).
    pub fn covers_region(&self, unit_region: Option<&RegionCode>) -> bool {
        match (&self.region, self.level) {
            (_, Some(Level::Central)) => true,
            (Some(own), _) => unit_region.is_some_and(|r| own.contains(r)),
            (None, _) => false,
        }
    }

    /// The region code prefix a reviewer or supervisor oversees ("" for central staff); `None`
    /// for units and admins, who oversee nothing.
    pub fn oversight_prefix(&self) -> Option<String> {
        match (self.role, self.level, &self.region) {
            (Role::Reviewer | Role::Supervisor, Some(Level::Central), _) => Some(String::new()),
            (Role::Reviewer | Role::Supervisor, _, Some(region)) => Some(region.jurisdiction_prefix().to_owned()),
            _ => None,
        }
    }

    /// Whether the actor is a reviewer at `level`.
    pub fn is_reviewer_at(&self, level: Level) -> bool {
        self.role == Role::Reviewer && self.level == Some(level)
    }
}

/// Validates the combination of role, level and region for a new account.
pub fn check_account_scope(role: Role, level: Option<Level>, region: Option<&RegionCode>) -> Result<(), &'static str> {
    match (role, level, region) {
        (Role::Admin, None, None) => Ok(()),
        (Role::Admin, _, _) => Err("系统管理员不设层级和地区"),
        (_, None, _) => Err("请选择层级"),
        (_, Some(Level::Central), None) => Ok(()),
        (_, Some(Level::Central), Some(_)) => Err("中央层级不设行政区划代码"),
        (_, Some(_), None) => Err("请填写行政区划代码"),
        (_, Some(level), Some(region)) if region.level() == level => Ok(()),
        (_, Some(_), Some(_)) => Err("行政区划代码与层级不符"),
    }
}
