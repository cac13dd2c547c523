//! Several instances of the service on one database: the scheduled round runs in one of them at
//! a time, under a lease that a dead instance's successor takes over when it runs out.

use chrono::{Duration, Utc};
use govbadge::service::schedule::hold_round_lease;
use govbadge::store::leases;

use crate::helpers::*;

#[tokio::test]
async fn one_instance_at_a_time_holds_the_round_and_a_dead_ones_lease_runs_out() {
    let first = spawn_app_with(|_| {}).await;
    let second = spawn_app_on(tempfile::tempdir().unwrap(), first.ctx.config.database.url.clone(), |_| {}).await;
    assert_ne!(first.ctx.instance, second.ctx.instance, "each instance has a name of its own");
    // The server's own round may hold the lease at start-up: wait until it is free.
    for _ in 0..100 {
        if hold_round_lease(&first.ctx).await.unwrap() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
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
