//! A badged site's compliance status, from its badge, its latest check and its deadline.

use chrono::NaiveDate;
use serde::Serialize;

use super::badge::BadgeStatus;

/// Where a badged site stands, as offices and supervisors read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SiteStatus {
    /// Every checked page carries the badge.
    Compliant,
    /// Not (yet) compliant, and the deadline has not passed.
    Pending,
    /// The deadline has passed and the site is not compliant.
    Overdue,
    /// No page could be checked.
    Unreachable,
    /// The badge is suspended.
    Suspended,
    /// The badge is revoked.
    Revoked,
}

crate::domain::words!(SiteStatus);

impl SiteStatus {
    /// The status's name in the UI.
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

/// What one check of a site (a sweep, a scheduled or a unit's check) concluded, as stored with
/// its results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SiteVerdict {
    /// Every checked page carries the badge.
    Compliant,
    /// At least one checked page does not.
    NonCompliant,
    /// No page could be checked (and what a check that has checked nothing yet says).
    #[default]
    Unreachable,
    /// Not crawled: the badge is suspended.
    Suspended,
    /// Not crawled: the badge is revoked.
    Revoked,
}

crate::domain::words!(SiteVerdict);

impl SiteVerdict {
    /// The verdict's name in the UI.
    pub fn label(self) -> &'static str {
        match self {
            SiteVerdict::Compliant => "合规",
            SiteVerdict::NonCompliant => "不合规",
            SiteVerdict::Unreachable => "无法访问",
            SiteVerdict::Suspended => "标识已暂停",
            SiteVerdict::Revoked => "标识已撤销",
        }
    }

    /// The verdict of a site whose badge is not active (not crawled).
    pub fn of_inactive(badge: BadgeStatus) -> Option<Self> {
        match badge {
            BadgeStatus::Active => None,
            BadgeStatus::Suspended => Some(SiteVerdict::Suspended),
            BadgeStatus::Revoked => Some(SiteVerdict::Revoked),
        }
    }
}

/// For reading stored rows.
impl TryFrom<String> for SiteVerdict {
    type Error = strum::ParseError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

/// `latest_verdict` is the latest site verdict, `None` when never checked; `today` is the
/// China-time date.
pub fn site_status(
    badge: BadgeStatus,
    latest_verdict: Option<SiteVerdict>,
    install_due: NaiveDate,
    today: NaiveDate,
) -> SiteStatus {
    match badge {
        BadgeStatus::Suspended => return SiteStatus::Suspended,
        BadgeStatus::Revoked => return SiteStatus::Revoked,
        BadgeStatus::Active => {}
    }
    match latest_verdict {
        Some(SiteVerdict::Compliant) => SiteStatus::Compliant,
        // A site that cannot be reached (its domain does not resolve, its server does not
        // answer) is 无法访问, within its grace period too: it is not simply waiting for a badge.
        Some(SiteVerdict::Unreachable) => SiteStatus::Unreachable,
        _ if today > install_due => SiteStatus::Overdue,
        _ => SiteStatus::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_words_round_trip() {
        for v in [SiteVerdict::Compliant, SiteVerdict::NonCompliant, SiteVerdict::Unreachable, SiteVerdict::Suspended] {
            assert_eq!(SiteVerdict::parse(v.as_str()), Some(v));
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
        assert_eq!(SiteVerdict::NonCompliant.as_str(), "non_compliant");
        assert_eq!(SiteVerdict::parse("partly"), None);
    }

    #[test]
    fn statuses() {
        let due: NaiveDate = "2026-12-04".parse().unwrap();
        let before: NaiveDate = "2026-12-04".parse().unwrap();
        let after: NaiveDate = "2026-12-05".parse().unwrap();
        use BadgeStatus::*;
        assert_eq!(site_status(Active, Some(SiteVerdict::Compliant), due, after), SiteStatus::Compliant);
        assert_eq!(site_status(Active, None, due, before), SiteStatus::Pending);
        assert_eq!(site_status(Active, Some(SiteVerdict::NonCompliant), due, before), SiteStatus::Pending);
        assert_eq!(site_status(Active, Some(SiteVerdict::NonCompliant), due, after), SiteStatus::Overdue);
        assert_eq!(site_status(Active, None, due, after), SiteStatus::Overdue);
        assert_eq!(site_status(Active, Some(SiteVerdict::Unreachable), due, after), SiteStatus::Unreachable);
        assert_eq!(
            site_status(Active, Some(SiteVerdict::Unreachable), due, before),
            SiteStatus::Unreachable,
            "a site that does not resolve is unreachable, not waiting for its badge"
        );
        assert_eq!(site_status(Suspended, Some(SiteVerdict::Compliant), due, after), SiteStatus::Suspended);
        assert_eq!(site_status(Revoked, None, due, before), SiteStatus::Revoked);
    }
}
