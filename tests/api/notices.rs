//! Enforcement notices: a reminder before the deadline, an overdue notice and a daily digest to
//! the region's supervisors after it, a regression notice when a compliant site loses its badge;
//! each sent once, also when the rules run again after a restart; delivered by mail and SMS.

use chrono::NaiveDate;
use govbadge::config::Config;
use govbadge::domain::account::Role;
use govbadge::domain::calendar::WorkingCalendar;
use govbadge::domain::region::Level;
use govbadge::service::enforcement::{self, Sent};
use govbadge::store::Pool;

use crate::fixture::{self, code};
use crate::helpers::*;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

async fn topics(pool: &Pool) -> Vec<(String, String, String)> {
    govbadge::on_pool!(pool, p => sqlx::query_as("SELECT topic, channel, recipient FROM outbox ORDER BY id").fetch_all(p).await).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_notice_is_sent_once_to_the_right_people() {
    let smtp = SmtpSink::start();
    let sms = SmsGateway::start(0).await;
    let app = spawn_app_with(|c| {
        with_notifications(c, smtp.port, &sms.url);
        // The server's own scheduler runs the rules on today's date; this test runs them itself
        // on fixed dates.
        c.notices.enabled = false;
    })
    .await;
    let pool = app.ctx.pool.clone();
    fixture::sites(&pool).await;
    fixture::sweep(&pool, 1).await;
    app.account_with_contact(
        "清丰县监督.政务",
        Role::Supervisor,
        Some(Level::County),
        Some("410922"),
        "qf@jd.example",
        "13903930001",
    )
    .await;
    app.account_with_contact(
        "南乐县监督.政务",
        Role::Supervisor,
        Some(Level::County),
        Some("410923"),
        "nl@jd.example",
        "",
    )
    .await;
    app.account_with_contact(
        "濮阳市监督.政务",
        Role::Supervisor,
        Some(Level::City),
        Some("410900"),
        "py@jd.example",
        "",
    )
    .await;
    let mut config: Config = app.ctx.config.as_ref().clone();
    config.notices.enabled = true;
    let calendar = WorkingCalendar::embedded().unwrap();

    // Wednesday 2026-11-25, two working days before B's and D's deadline (Friday the 27th):
    // both failed sweep 1, so both units are reminded. F is past its deadline and unreachable:
    // the digests of the supervisors covering 清丰县 name it.
    let sent = enforcement::run(&pool, &config, &calendar, day("2026-11-25")).await.unwrap();
    assert_eq!(sent, Sent { reminders: 2, overdue: 0, regressions: 0, digests: 2 });
    let queued = topics(&pool).await;
    let reminded: Vec<&str> =
        queued.iter().filter(|(t, c, _)| t == "install_reminder" && c == "email").map(|(_, _, r)| r.as_str()).collect();
    assert_eq!(reminded, ["siteb@unit.example", "sited@unit.example"]);
    let digests: Vec<(&str, &str)> =
        queued.iter().filter(|(t, _, _)| t == "supervisor_digest").map(|(_, c, r)| (c.as_str(), r.as_str())).collect();
    assert_eq!(digests, [("email", "qf@jd.example"), ("sms", "13903930001"), ("email", "py@jd.example")]);

    // The same day again, and again after a restart (a new connection to the same database):
    // nothing more.
    assert_eq!(enforcement::run(&pool, &config, &calendar, day("2026-11-25")).await.unwrap(), Sent::default());
    let restarted = govbadge::store::connect(&config.database.url, 2).await.unwrap();
    assert_eq!(enforcement::run(&restarted, &config, &calendar, day("2026-11-25")).await.unwrap(), Sent::default());
    // Nothing is left for a rule to act on, so the next round reads no site's history: B and
    // D were reminded, C's deadline is beyond the reminder days, F is unreachable.
    let candidates = |today: &str| {
        let pool = pool.clone();
        let today = day(today);
        let before = calendar.add_working_days(today, config.notices.reminder_working_days + 1).date;
        async move {
            let sites = govbadge::store::enforcement::candidates(&pool, today, before).await.unwrap();
            sites.into_iter().map(|s| s.code).collect::<Vec<_>>()
        }
    };
    assert_eq!(candidates("2026-11-25").await, Vec::<String>::new());
    let before = topics(&pool).await.len();

    // Sweep 2 on Monday the 30th: A lost its badge, B is overdue; A, B and F are in the digests
    // of 清丰县 and 濮阳市; 南乐县 has nothing overdue (D is compliant now, E is suspended).
    let second = fixture::sweep(&pool, 2).await;
    let sent = enforcement::run(&restarted, &config, &calendar, day("2026-11-30")).await.unwrap();
    assert_eq!(sent, Sent { reminders: 0, overdue: 1, regressions: 1, digests: 2 });
    assert_eq!(enforcement::run(&pool, &config, &calendar, day("2026-11-30")).await.unwrap(), Sent::default());
    // A lost its badge after its deadline: the rules sent its regression notice, which takes
    // the place of an overdue one, so A stays a candidate until its next result.
    assert_eq!(candidates("2026-11-30").await, [code("A")]);
    let queued = topics(&pool).await;
    let new: Vec<(&str, &str)> = queued[before..].iter().map(|(t, c, _)| (t.as_str(), c.as_str())).collect();
    assert_eq!(new.iter().filter(|(t, _)| *t == "regression").count(), 2, "mail and SMS");
    assert_eq!(new.iter().filter(|(t, _)| *t == "overdue").count(), 2);
    assert!(!queued.iter().any(|(_, _, r)| r == "nl@jd.example"), "南乐县 had no overdue site");

    // Recorded against the sites.
    let a = govbadge::store::notices::for_site(&pool, &code("A")).await.unwrap();
    let kinds: Vec<(&str, &str)> = a.iter().map(|n| (n.kind.as_str(), n.period.as_str())).collect();
    let second_text = second.to_string();
    assert!(kinds.contains(&("regression", second_text.as_str())), "{kinds:?}");
    assert!(kinds.contains(&("digest", "2026-11-30")), "{kinds:?}");
    let b = govbadge::store::notices::for_site(&pool, &code("B")).await.unwrap();
    let kinds: Vec<&str> = b.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "reminder").count(), 1);
    assert_eq!(kinds.iter().filter(|k| **k == "overdue").count(), 1);

    // The digest is daily, on working days: Tuesday yes, Sunday 12-06 no; nothing else repeats.
    let sent = enforcement::run(&pool, &config, &calendar, day("2026-12-01")).await.unwrap();
    assert_eq!(sent, Sent { digests: 2, ..Sent::default() });
    let sent = enforcement::run(&pool, &config, &calendar, day("2026-12-06")).await.unwrap();
    assert_eq!(sent, Sent::default());

    // Delivered by the outbox sender: 2 reminders + 2 digests, then regression, overdue and
    // 2 digests, then 2 digests: ten mails; the SMS gateway got the units' and 清丰县's texts.
    let mails = smtp.wait_for(10).await;
    let texts: Vec<String> = mails.iter().map(|m| mail_text(m["data"].as_str().unwrap())).collect();
    let regression = texts.iter().find(|t| t.contains("网站标识已缺失或不符合要求")).expect("a regression mail");
    assert!(regression.contains(&code("A")) && regression.contains("http://www.qingfeng.gov.cn/xwzx/index.html"));
    let digest = texts.iter().find(|t| t.contains("已过挂标期限仍未合规") && t.contains(&code("B"))).unwrap();
    assert!(digest.contains(&code("F")) && !digest.contains(&code("D")));
    let overdue = texts.iter().find(|t| t.contains("挂标期限2026-11-27已过")).unwrap();
    assert!(overdue.contains("清丰县教育局"));
    let sms_bodies = sms.wait_for(2 + 1 + 2 + 1 + 1).await;
    assert!(sms_bodies.iter().any(|b| b.to_string().contains("尚未按要求挂标")));

    // Shown on the dashboard's page of the site.
    let city = app.browser("濮阳市监督.政务").await;
    let page = city.text(&format!("/dashboard/sites/{}", code("B"))).await;
    assert!(page.contains("挂标提醒") && page.contains("逾期通知") && page.contains("监督汇总通报"));
}
