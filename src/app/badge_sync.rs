//! Keeps this instance's badge snapshot in step with the others sharing the database: on
//! `PostgreSQL` it listens for their announcements (`LISTEN govbadge_badges`) and reloads at
//! once; on either database it compares a fingerprint of the badge data every
//! `badge.reconcile_seconds` and reloads when it changed unannounced (a lost connection, a
//! change made by hand, or several instances on one `SQLite` file).

use std::time::Duration;

use sqlx::postgres::PgListener;

use crate::service::Context;
use crate::store::badges::{fingerprint, CHANGES_CHANNEL};
use crate::store::Pool;

/// Runs until the task is aborted. Each snapshot carries the fingerprint taken just before it
/// was read, so a change committed while it loaded is caught at the next reconcile.
pub async fn follow_badge_changes(ctx: Context) {
    let reconcile = Duration::from_secs(ctx.config.badge.reconcile_seconds);
    let mut listener = listen(&ctx.pool).await;
    let mut tick = tokio::time::interval(reconcile);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            note = async { listener.as_mut().expect("guarded").recv().await }, if listener.is_some() => match note {
                Ok(note) if note.payload() == &*ctx.instance => {}
                Ok(_) => reload(&ctx).await,
                Err(error) => {
                    tracing::warn!(%error, "badge change announcements lost; listening again at the next reconcile");
                    listener = None;
                }
            },
            _ = tick.tick() => {
                if listener.is_none() {
                    listener = listen(&ctx.pool).await;
                }
                match fingerprint(&ctx.pool).await {
                    Ok(now) if ctx.badges.current().fingerprint.as_ref() != Some(&now) => {
                        tracing::info!("badge data changed unannounced; snapshot reloaded");
                        reload(&ctx).await;
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "badge snapshot not reconciled"),
                }
            }
        }
    }
}

/// Listens for announcements, on `PostgreSQL`.
async fn listen(pool: &Pool) -> Option<PgListener> {
    let Pool::Postgres(pool) = pool else { return None };
    let mut listener = match PgListener::connect_with(pool).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::warn!(%error, "cannot listen for badge changes");
            return None;
        }
    };
    match listener.listen(CHANGES_CHANNEL).await {
        Ok(()) => Some(listener),
        Err(error) => {
            tracing::warn!(%error, "cannot listen for badge changes");
            None
        }
    }
}

async fn reload(ctx: &Context) {
    if let Err(error) = ctx.badges.reload(&ctx.pool).await {
        tracing::error!(%error, "badge snapshot not reloaded");
    }
}
