//! Several instances of the service on one database: the scheduled round runs in one of them at
//! a time, under a lease that a dead instance's successor takes over when it runs out.

use chrono::{Duration, Utc};
use govbadge::service::schedule::hold_round_lease;
use govbadge::store::leases;

use crate::helpers::*;

#[tokio::test]
async fn one_instance_at_a_time_holds_the_round_and_a_dead_ones_lease_runs_out() {
    // The servers' own rounds are off: they would take and release the same lease (under the
    // same instance names) while the test holds it.
    let rounds_off = |c: &mut govbadge::config::Config| c.crawl.schedule_poll_minutes = 0;
    let first = spawn_app_with(rounds_off).await;
    let second = spawn_app_on(tempfile::tempdir().unwrap(), first.ctx.config.database.url.clone(), rounds_off).await;
    assert_ne!(first.ctx.instance, second.ctx.instance, "each instance has a name of its own");
    assert!(hold_round_lease(&first.ctx).await.unwrap(), "a free lease is taken");
    assert!(hold_round_lease(&first.ctx).await.unwrap(), "the holder renews its lease");
    assert!(!hold_round_lease(&second.ctx).await.unwrap(), "the other instance skips the round");
    leases::release(&second.ctx.pool, "scheduled_round", &second.ctx.instance).await.unwrap();
    assert!(!hold_round_lease(&second.ctx).await.unwrap(), "only the holder releases a lease");
    leases::release(&first.ctx.pool, "scheduled_round", &first.ctx.instance).await.unwrap();
    assert!(hold_round_lease(&second.ctx).await.unwrap(), "a released lease is taken at once");

    // A holder that died: its lease ran out a second ago, and the next instance takes it.
    let now = Utc::now();
    let pool = &first.ctx.pool;
    assert!(leases::acquire(pool, "dead", "gone-instance", now - Duration::minutes(31), now - Duration::seconds(1))
        .await
        .unwrap());
    assert!(leases::acquire(pool, "dead", &first.ctx.instance, now, now + Duration::minutes(30)).await.unwrap());
    assert!(!leases::acquire(pool, "dead", "gone-instance", now, now + Duration::minutes(30)).await.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_instance_follows_a_badge_issued_or_suspended_on_another() {
    let on_postgres = crate::database::on_postgres();
    let first = spawn_app_with(|_| {}).await;
    // On PostgreSQL the announcement alone must carry the change (the reconcile is an hour
    // away); on SQLite, which has no announcements, the reconcile every second does.
    let reconcile = if on_postgres { 3600 } else { 1 };
    let second = spawn_app_on(tempfile::tempdir().unwrap(), first.ctx.config.database.url.clone(), |c| {
        c.badge.reconcile_seconds = reconcile;
    })
    .await;
    // Let the second instance's listener start.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let codes = crate::sweep::badged_sites(&first.ctx.pool, &first, &["follow.example.gov.cn"]).await;
    let code = codes.values().next().unwrap().clone();
    first.ctx.refresh_badges().await;
    assert!(first.ctx.badges.status(&code).is_some(), "the instance that issued it has it at once");
    wait_until("the other instance to follow the issuance", FOLLOW_WITHIN, async || {
        second.ctx.badges.status(&code).is_some()
    })
    .await;

    let parsed = govbadge::domain::badge::SiteCode::parse(&code).unwrap();
    let admin = first.account("管理员", govbadge::domain::account::Role::Admin, None, None).await;
    let changed = govbadge::store::badges::change_status(
        &first.ctx.pool,
        &parsed,
        govbadge::domain::badge::BadgeStatus::Active,
        govbadge::domain::badge::BadgeStatus::Suspended,
        admin,
        "逾期未整改",
        Utc::now(),
    )
    .await;
    assert!(changed.is_ok(), "{changed:?}");
    first.ctx.refresh_badges().await;
    wait_until("the other instance to follow the status change", FOLLOW_WITHIN, async || {
        second.ctx.badges.status(&code) == Some(govbadge::domain::badge::BadgeStatus::Suspended)
    })
    .await;
}

/// How soon another instance follows a badge's issuance or status change.
const FOLLOW_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Guesses spread over two instances meet one account lock: the attempts are counted in the
/// database, not per instance.
#[tokio::test(flavor = "multi_thread")]
async fn guesses_spread_over_two_instances_meet_one_account_lock() {
    let first = spawn_app_with(|c| c.auth.max_failures_per_account = 6).await;
    first.cast().await;
    let second = spawn_app_on(tempfile::tempdir().unwrap(), first.ctx.config.database.url.clone(), |c| {
        c.auth.max_failures_per_account = 6;
    })
    .await;
    let client = reqwest::Client::new();
    let guesses = (0..40).map(|i| {
        let base = if i % 2 == 0 { &first.base } else { &second.base };
        crate::hardening::api_login(&client, base, "清丰县人民政府.政务", "wrong")
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(checked, 6, "six attempts between both instances, not six each: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 34, "{statuses:?}");
    for base in [&first.base, &second.base] {
        assert_eq!(crate::hardening::api_login(&client, base, "清丰县人民政府.政务", PASSWORD).await, 429);
    }
}
