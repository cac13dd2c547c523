//! Badge sightings: hosts seen loading a badge, at most a fixed number per code, ranked so that
//! a flood of made-up hosts cannot push out a real counterfeit; and the count of what the bound
//! evicted or dropped.

use super::Pool;
use chrono::{DateTime, Utc};

use super::Tx;

/// A sighting counted in memory, to be stored.
#[derive(Debug, Clone)]
pub struct Observed<'a> {
    /// The badge code.
    pub code: &'a str,
    /// The host that carried it.
    pub host: &'a str,
    /// Whether the host is registered for the badge.
    pub registered: bool,
    /// `referer` (the badge was loaded from the host) or `beacon` (the script reported it).
    pub source: &'static str,
    /// First seen in the batch.
    pub first: DateTime<Utc>,
    /// Last seen in the batch.
    pub last: DateTime<Utc>,
    /// Times seen in the batch.
    pub count: i64,
}

/// What storing a sighting did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// The host was known: its count and last time moved on.
    Updated,
    /// The host was new and there was room.
    Inserted,
    /// The code was at its bound: the lowest-ranked host made room.
    EvictedLowest,
    /// The code was at its bound and the new host ranked below every stored one.
    Dropped,
    /// No such badge.
    Ignored,
}

/// How a host ranks for keeping: a registered host first, then one seen by a Referer over one
/// only beaconed (anyone can post a beacon), then the more often seen.
type Rank = (bool, bool, i64);

fn rank(registered: bool, source: &str, count: i64) -> Rank {
    (registered, source == "referer", count)
}

/// A stored host not seen for this long makes room for a new one of the same rank.
const STALE: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// Whether a new sighting takes the place of the lowest-ranked stored one: when it ranks
/// higher, or as high while the stored one is stale. (A flood of one-off hosts therefore
/// cannot churn out the hosts already recorded.)
fn replaces(new: Rank, new_seen: DateTime<Utc>, lowest: Rank, lowest_seen: DateTime<Utc>) -> bool {
    new > lowest || (new == lowest && new_seen - lowest_seen > STALE)
}

/// Stores one sighting within `cap` hosts per code.
pub async fn store(tx: &mut Tx, seen: &Observed<'_>, cap: i64) -> Result<Stored, sqlx::Error> {
    crate::on_tx!(tx, tx => {
        let updated = sqlx::query(
            "UPDATE badge_sightings SET last_seen = CASE WHEN last_seen > $1 THEN last_seen ELSE $1 END, count = count + $2,
                source = CASE WHEN $3 = 'referer' THEN 'referer' ELSE source END
         WHERE code = $4 AND host = $5",
        )
        .bind(seen.last)
        .bind(seen.count)
        .bind(seen.source)
        .bind(seen.code)
        .bind(seen.host)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() > 0 {
            return Ok(Stored::Updated);
        }
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM badges WHERE code = $1)")
            .bind(seen.code)
            .fetch_one(&mut *tx)
            .await?;
        if !exists {
            return Ok(Stored::Ignored);
        }
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM badge_sightings WHERE code = $1")
            .bind(seen.code)
            .fetch_one(&mut *tx)
            .await?;
        let mut outcome = Stored::Inserted;
        if stored >= cap {
            let lowest: Option<(String, bool, String, i64, DateTime<Utc>)> = sqlx::query_as(
                "SELECT host, registered, source, count, last_seen FROM badge_sightings WHERE code = $1
                 ORDER BY registered, source = 'referer', count, last_seen LIMIT 1",
            )
            .bind(seen.code)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((host, registered, source, count, last)) = lowest else {
                return Ok(Stored::Ignored);
            };
            let new = rank(seen.registered, seen.source, seen.count);
            if !replaces(new, seen.last, rank(registered, &source, count), last) {
                sqlx::query(COUNT_BOUND).bind(seen.code).bind(0_i64).bind(1_i64).bind(seen.last).execute(&mut *tx).await?;
                return Ok(Stored::Dropped);
            }
            sqlx::query("DELETE FROM badge_sightings WHERE code = $1 AND host = $2")
                .bind(seen.code)
                .bind(&host)
                .execute(&mut *tx)
                .await?;
            sqlx::query(COUNT_BOUND).bind(seen.code).bind(1_i64).bind(0_i64).bind(seen.last).execute(&mut *tx).await?;
            outcome = Stored::EvictedLowest;
        }
        sqlx::query(
            "INSERT INTO badge_sightings (code, host, registered, source, first_seen, last_seen, count)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(seen.code)
        .bind(seen.host)
        .bind(seen.registered)
        .bind(seen.source)
        .bind(seen.first)
        .bind(seen.last)
        .bind(seen.count)
        .execute(&mut *tx)
        .await?;
        Ok(outcome)
    })
}

/// Counts what the bound did for a code: hosts evicted ($2) and hosts dropped ($3).
const COUNT_BOUND: &str = "INSERT INTO sighting_evictions (code, evicted, dropped, last_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (code) DO UPDATE SET evicted = sighting_evictions.evicted + excluded.evicted,
         dropped = sighting_evictions.dropped + excluded.dropped, last_at = excluded.last_at";

/// A stored sighting.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Sighting {
    /// The badge code.
    pub code: String,
    /// The host.
    pub host: String,
    /// Whether it is registered for the badge.
    pub registered: bool,
    /// `referer` or `beacon`.
    pub source: String,
    /// First seen.
    pub first_seen: DateTime<Utc>,
    /// Last seen.
    pub last_seen: DateTime<Utc>,
    /// Times seen.
    pub count: i64,
}

/// Sightings of badges whose region starts with `prefix` ("" for all); unregistered hosts first.
pub async fn list(pool: &Pool, prefix: &str) -> Result<Vec<Sighting>, sqlx::Error> {
    crate::on_pool!(pool, pool => {
        sqlx::query_as(
            "SELECT s.code, s.host, s.registered, s.source, s.first_seen, s.last_seen, s.count
         FROM badge_sightings s JOIN badges b ON b.code = s.code
         WHERE b.region LIKE $1 || '%'
         ORDER BY s.registered, s.last_seen DESC LIMIT 1000",
        )
        .bind(prefix)
        .fetch_all(pool)
        .await
    })
}

/// What the per-code bound did to a badge's sightings.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct BoundCount {
    /// The badge code.
    pub code: String,
    /// Hosts evicted to make room.
    pub evicted: i64,
    /// Sightings dropped because the code was full of better-ranked hosts.
    pub dropped: i64,
    /// When the bound last acted.
    pub last_at: DateTime<Utc>,
}

/// Evictions and drops for the badges whose region starts with `prefix`, latest first.
pub async fn bound_counts(pool: &Pool, prefix: &str) -> Result<Vec<BoundCount>, sqlx::Error> {
    crate::on_pool!(pool, pool => {
        sqlx::query_as(
            "SELECT e.code, e.evicted, e.dropped, e.last_at
         FROM sighting_evictions e JOIN badges b ON b.code = e.code
         WHERE b.region LIKE $1 || '%'
         ORDER BY e.last_at DESC LIMIT 200",
        )
        .bind(prefix)
        .fetch_all(pool)
        .await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranking_keeps_referers_frequent_and_fresh_hosts() {
        let now = Utc::now();
        let old = now - chrono::TimeDelta::days(30);
        let beacon_once = rank(false, "beacon", 1);
        assert!(replaces(rank(false, "referer", 1), now, beacon_once, now), "a Referer beats a beacon");
        assert!(replaces(rank(false, "beacon", 2), now, beacon_once, now), "seen twice beats seen once");
        assert!(!replaces(beacon_once, now, beacon_once, now - chrono::TimeDelta::hours(1)), "no churn by one-offs");
        assert!(replaces(beacon_once, now, beacon_once, old), "a stale one-off makes room");
        assert!(!replaces(rank(false, "referer", 100), now, rank(true, "referer", 1), old), "registered hosts stay");
    }
}
