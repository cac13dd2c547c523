//! Badge sightings for the offices and supervisors covering the badges: where each badge was
//! seen loaded, hosts it is not registered for first.

use axum::extract::State;
use axum::response::Html;
use serde_json::json;

use super::render;
use crate::web::auth::User;
use crate::web::error::HttpError;
use crate::web::state::AppState;

/// `GET /sightings`: hosts seen carrying badges of the user's area, unregistered first.
pub async fn list(State(state): State<AppState>, User(user): User) -> Result<Html<String>, HttpError> {
    let actor = user.actor();
    let prefix = actor.oversight_prefix().ok_or_else(HttpError::forbidden)?;
    let rows = crate::store::sightings::list(&state.ctx.pool, &prefix).await.map_err(crate::store::StoreError::from)?;
    let rows: Vec<_> = rows
        .iter()
        .map(|s| {
            json!({
                "code": s.code, "host": s.host, "registered": s.registered, "source": s.source,
                "first_seen": s.first_seen.to_rfc3339(), "last_seen": s.last_seen.to_rfc3339(), "count": s.count,
            })
        })
        .collect();
    let bounds = crate::store::sightings::bound_counts(&state.ctx.pool, &prefix)
        .await
        .map_err(crate::store::StoreError::from)?;
    let bounds: Vec<_> = bounds
        .iter()
        .map(|b| json!({ "code": b.code, "evicted": b.evicted, "dropped": b.dropped, "last_at": b.last_at.to_rfc3339() }))
        .collect();
    let cap = crate::badge::sightings::MAX_HOSTS_PER_CODE;
    let tipoffs = crate::service::tipoffs::list(&state.ctx, &prefix).await?;
    let data = json!({ "sightings": rows, "bounds": bounds, "cap": cap, "tipoffs": tipoffs });
    render(&state, Some(&user), "sightings.html", data)
}
