//! A badged site's compliance status, from its badge, its latest check and its deadline.

use chrono::NaiveDate;
use serde::Serialize;

use super::badge::BadgeStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteStatus {
    /// Every checked page carries the badge.
    Compliant,
    /// Not (yet) compliant, and the deadline has not passed.
    Pending,
    /// The deadline has passed and the site is not compliant.
    Overdue,
    /// No page could be checked.
    Unreachable,
    Suspended,
    Revoked,
}

impl SiteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SiteStatus::Compliant => "compliant",
            SiteStatus::Pending => "pending",
            SiteStatus::Overdue => "overdue",
            SiteStatus::Unreachable => "unreachable",
            SiteStatus::Suspended => "suspended",
            SiteStatus::Revoked => "revoked",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SiteStatus::Compliant => "已合规",
            SiteStatus::Pending => "待挂标（未到期）",
            SiteStatus::Overdue => "逾期未挂标",
            SiteStatus::Unreachable => "无法访问",
            SiteStatus::Suspended => "标识已暂停",
            SiteStatus::Revoked => "标识已撤销",
        }
    }
}

/// `latest_verdict` is the latest site verdict (`compliant`, `non_compliant`, `unreachable`),
/// `None` when never checked; `today` is the China-time date.
pub fn site_status(
    badge: BadgeStatus,
    latest_verdict: Option<&str>,
    install_due: NaiveDate,
    today: NaiveDate,
) -> SiteStatus {
    match badge {
        BadgeStatus::Suspended => return SiteStatus::Suspended,
        BadgeStatus::Revoked => return SiteStatus::Revoked,
        BadgeStatus::Active => {}
    }
    match latest_verdict {
        Some("compliant") => SiteStatus::Compliant,
        Some("unreachable") if today > install_due => SiteStatus::Unreachable,
        _ if today > install_due => SiteStatus::Overdue,
        _ => SiteStatus::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let due: NaiveDate = "2026-12-04".parse().unwrap();
        let before: NaiveDate = "2026-12-04".parse().unwrap();
        let after: NaiveDate = "2026-12-05".parse().unwrap();
        use BadgeStatus::*;
        assert_eq!(site_status(Active, Some("compliant"), due, after), SiteStatus::Compliant);
        assert_eq!(site_status(Active, None, due, before), SiteStatus::Pending);
        assert_eq!(site_status(Active, Some("non_compliant"), due, before), SiteStatus::Pending);
        assert_eq!(site_status(Active, Some("non_compliant"), due, after), SiteStatus::Overdue);
        assert_eq!(site_status(Active, None, due, after), SiteStatus::Overdue);
        assert_eq!(site_status(Active, Some("unreachable"), due, after), SiteStatus::Unreachable);
        assert_eq!(site_status(Suspended, Some("compliant"), due, after), SiteStatus::Suspended);
        assert_eq!(site_status(Revoked, None, due, before), SiteStatus::Revoked);
    }
}
