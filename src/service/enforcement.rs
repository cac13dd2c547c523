//! Enforcement notices, decided from the stored results and sent through the outbox: a reminder
//! to the unit N working days before its install deadline when its latest check is not
//! compliant, an overdue notice to the unit and a daily digest (working days) to the region's
//! supervisors once the deadline has passed, and a regression notice when a compliant site
//! loses its badge. Each event has a key (kind, subject, period) stored with its messages in one
//! transaction, so running the rules again, after any sweep or restart, sends nothing twice.

use crate::store::Pool;
use chrono::{NaiveDate, Utc};

use crate::config::Config;
use crate::domain::application::ApplicationKind;
use crate::domain::badge::BadgeStatus;
use crate::domain::calendar::WorkingCalendar;
use crate::domain::site_status::{site_status, SiteStatus, SiteVerdict};
use crate::notify::messages::{self, About, DigestLine, Finding, Notice};
use crate::notify::queue::{queue, Recipient};
use crate::store::enforcement as store_enforcement;
use crate::store::notices::{self, NoticeKey};
use crate::store::sweeps::{self, LatestResult, SiteRow};

/// How many notices of each kind one run of the rules sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    /// Reminders before the install deadline.
    pub reminders: usize,
    /// Notices of a passed deadline.
    pub overdue: usize,
    /// Notices that a compliant site no longer is.
    pub regressions: usize,
    /// Supervisors' digests.
    pub digests: usize,
}

impl Sent {
    /// All notices sent.
    pub fn total(&self) -> usize {
        self.reminders + self.overdue + self.regressions + self.digests
    }
}

/// What the rules decided for one site.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    Reminder { left: u32 },
    Overdue,
    Regression { sweep_id: i64 },
}

/// The rules for one active site, given its latest two results (newest first).
fn decide(
    calendar: &WorkingCalendar,
    reminder_days: u32,
    site: &SiteRow,
    results: &[LatestResult],
    today: NaiveDate,
) -> Option<Decision> {
    let latest = results.first()?;
    if latest.site_verdict == SiteVerdict::Compliant {
        return None;
    }
    let previous_compliant = results.get(1).is_some_and(|r| r.site_verdict == SiteVerdict::Compliant);
    if previous_compliant && latest.site_verdict == SiteVerdict::NonCompliant {
        return Some(Decision::Regression { sweep_id: latest.sweep_id });
    }
    match site_status(BadgeStatus::Active, Some(latest.site_verdict), site.install_due, today) {
        SiteStatus::Overdue => Some(Decision::Overdue),
        // Not yet compliant, or not reachable, within the grace period: remind near the deadline.
        SiteStatus::Pending | SiteStatus::Unreachable if today <= site.install_due => {
            let left = calendar.working_days_between(today, site.install_due);
            (left <= reminder_days).then_some(Decision::Reminder { left })
        }
        _ => None,
    }
}

/// Runs the rules as of `today` (a China date; the messages are queued now) over the active
/// sites a rule may still act on (`store::enforcement::candidates`); returns what was sent.
pub async fn run(
    pool: &Pool,
    config: &Config,
    calendar: &WorkingCalendar,
    today: NaiveDate,
) -> Result<Sent, crate::store::StoreError> {
    let mut sent = Sent::default();
    if !config.notices.enabled {
        return Ok(sent);
    }
    let portal_url = format!("{}/portal", config.server.public_base_url.trim_end_matches('/'));
    let reminder_days = config.notices.reminder_working_days;
    // A deadline `reminder_days` working days away or less lies before the next working day.
    let reminder_before = calendar.add_working_days(today, reminder_days.saturating_add(1)).date;
    for site in store_enforcement::candidates(pool, today, reminder_before).await? {
        let results = sweeps::latest_results(pool, &site.code, 2).await?;
        let Some(decision) = decide(calendar, reminder_days, &site, &results, today) else {
            continue;
        };
        let latest = &results[0];
        let reason = latest
            .first_failing_verdict
            .as_deref()
            .and_then(crate::check::Verdict::parse)
            .map(crate::check::Verdict::label);
        let finding = match (&latest.first_failing_url, reason) {
            (Some(url), Some(reason)) => Some(Finding { url, reason }),
            _ => None,
        };
        let contact = notices::unit_contact(pool, site.application_id).await?;
        let review_label = ApplicationKind::parse(&contact.kind).unwrap_or(ApplicationKind::New).review_label();
        let about = About {
            unit_name: &contact.unit_name,
            site_name: &contact.site_name,
            review_label,
            portal_url: &portal_url,
        };
        let due = site.install_due;
        let (kind, period, notice): (&str, String, Notice) = match decision {
            Decision::Reminder { left } => (
                "reminder",
                due.to_string(),
                messages::install_reminder(&about, &site.code, due, left, finding.as_ref()),
            ),
            Decision::Overdue => {
                ("overdue", due.to_string(), messages::overdue(&about, &site.code, due, finding.as_ref()))
            }
            Decision::Regression { sweep_id } => {
                ("regression", sweep_id.to_string(), messages::regression(&about, &site.code, finding.as_ref()))
            }
        };
        let key =
            NoticeKey { kind, subject: &site.code, period: &period, badge_code: Some(&site.code), account_id: None };
        let to = Recipient {
            application_id: Some(contact.application_id),
            email: Some(contact.handler_email.as_str()),
            mobile: Some(contact.handler_mobile.as_str()),
        };
        if send_once(pool, &key, &to, &notice, &[]).await? {
            match kind {
                "reminder" => sent.reminders += 1,
                "overdue" => sent.overdue += 1,
                _ => sent.regressions += 1,
            }
            tracing::info!(code = %site.code, kind, "enforcement notice queued");
        }
    }
    if calendar.is_working_day(today).0 {
        let overdue_sites: Vec<(SiteRow, &'static str)> = store_enforcement::overdue(pool, today)
            .await?
            .into_iter()
            .map(|(site, verdict)| {
                let label = site_status(BadgeStatus::Active, Some(verdict), site.install_due, today).label();
                (site, label)
            })
            .collect();
        if !overdue_sites.is_empty() {
            sent.digests = send_digests(pool, config, &overdue_sites, today).await?;
        }
    }
    Ok(sent)
}

/// One digest per supervisor covering any overdue site, once per day.
async fn send_digests(
    pool: &Pool,
    config: &Config,
    overdue: &[(SiteRow, &'static str)],
    today: NaiveDate,
) -> Result<usize, crate::store::StoreError> {
    let dashboard_url = format!("{}/dashboard", config.server.public_base_url.trim_end_matches('/'));
    let mut sent = 0;
    for supervisor in notices::supervisors(pool).await? {
        let Some(prefix) = supervisor.area_prefix() else { continue };
        let mine: Vec<&(SiteRow, &str)> = overdue.iter().filter(|(s, _)| s.region.starts_with(&prefix)).collect();
        if mine.is_empty() {
            continue;
        }
        let lines: Vec<DigestLine<'_>> = mine
            .iter()
            .map(|(s, label)| DigestLine {
                code: &s.code,
                unit_name: &s.unit_name,
                site_name: &s.site_name,
                deadline: s.install_due,
                status_label: label,
            })
            .collect();
        let notice = messages::supervisor_digest(today, &lines, &dashboard_url);
        let subject = supervisor.id.to_string();
        let period = today.to_string();
        let key = NoticeKey {
            kind: "digest",
            subject: &subject,
            period: &period,
            badge_code: None,
            account_id: Some(supervisor.id),
        };
        let to = Recipient {
            application_id: None,
            email: Some(supervisor.email.as_str()),
            mobile: Some(supervisor.mobile.as_str()),
        };
        let codes: Vec<&str> = mine.iter().map(|(s, _)| s.code.as_str()).collect();
        if send_once(pool, &key, &to, &notice, &codes).await? {
            sent += 1;
            tracing::info!(account.id = supervisor.id, sites = codes.len(), "supervisor digest queued");
        }
    }
    Ok(sent)
}

/// Records the event and queues its messages in one transaction, unless it was sent before.
async fn send_once(
    pool: &Pool,
    key: &NoticeKey<'_>,
    to: &Recipient<'_>,
    notice: &Notice,
    digest_codes: &[&str],
) -> Result<bool, crate::store::StoreError> {
    let now = Utc::now();
    let mut tx = pool.begin().await?;
    let Some(id) = notices::claim(&mut tx, key, now).await? else {
        return Ok(false);
    };
    let queued = queue(&mut tx, to, notice, now).await?;
    notices::set_messages(&mut tx, id, queued).await?;
    for code in digest_codes {
        notices::add_digest_site(&mut tx, id, code).await?;
    }
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(due: &str) -> SiteRow {
        SiteRow {
            code: "4109220000016".into(),
            application_id: 1,
            status: BadgeStatus::Active,
            install_due: due.parse().unwrap(),
            issued_at: "2026-11-20T02:00:00Z".parse().unwrap(),
            unit_id: 1,
            region: "410922".into(),
            domain_en: "www.example.gov.cn".into(),
            domain_cn_ascii: String::new(),
            domain_cn: String::new(),
            site_name: "示例".into(),
            unit_name: "示例单位".into(),
            category: "政府门户网站".into(),
            legacy_code: None,
            legacy_link_id: None,
            site_id_code: String::new(),
        }
    }

    fn result(sweep_id: i64, verdict: &str) -> LatestResult {
        LatestResult {
            sweep_id,
            site_verdict: SiteVerdict::parse(verdict).unwrap(),
            pages: 3,
            compliant: 0,
            urls: 3,
            first_failing_url: None,
            first_failing_verdict: None,
            checked_at: "2026-11-25T02:00:00Z".parse().unwrap(),
            badge_code: String::new(),
            verdict_counts: None,
            footer: None,
        }
    }

    #[test]
    fn rules() {
        let cal = WorkingCalendar::embedded().unwrap();
        // Friday 2026-11-27 is the deadline; Wednesday the 25th is 2 working days before it.
        let s = site("2026-11-27");
        let day = |d: &str| d.parse::<NaiveDate>().unwrap();
        let failing = [result(2, "non_compliant")];
        assert_eq!(decide(&cal, 2, &s, &failing, day("2026-11-24")), None, "3 working days before");
        assert_eq!(decide(&cal, 2, &s, &failing, day("2026-11-25")), Some(Decision::Reminder { left: 2 }));
        assert_eq!(decide(&cal, 2, &s, &failing, day("2026-11-27")), Some(Decision::Reminder { left: 0 }));
        assert_eq!(decide(&cal, 2, &s, &failing, day("2026-11-28")), Some(Decision::Overdue));
        assert_eq!(decide(&cal, 2, &s, &[result(2, "compliant")], day("2026-11-28")), None);
        assert_eq!(decide(&cal, 2, &s, &[], day("2026-11-28")), None, "never checked: no evidence, no notice");
        assert_eq!(
            decide(&cal, 2, &s, &[result(3, "non_compliant"), result(2, "compliant")], day("2026-12-10")),
            Some(Decision::Regression { sweep_id: 3 })
        );
        // Unreachable after being compliant is not a lost badge; past the deadline it is not
        // an overdue notice either (the site could not be checked).
        assert_eq!(decide(&cal, 2, &s, &[result(3, "unreachable"), result(2, "compliant")], day("2026-12-10")), None);
    }
}
