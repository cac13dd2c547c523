//! Server-rendered pages in Simplified Chinese, one file per resource.

pub mod accounts;
pub mod applications;
pub mod badges;
pub mod dashboard;
pub mod home;
pub mod office_units;
pub mod outbox;
pub mod password_reset;
pub mod print;
pub mod red_pages;
pub mod register;
pub mod self_check;
pub mod session;
pub mod sightings;
pub mod site_requests;
pub mod sites;
pub mod tipoffs;
pub mod verify;

use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::response::Html;
use serde_json::{json, Value};

use super::auth::SessionUser;
use super::error::HttpError;
use super::state::AppState;

/// A list's search as the query string gives it.
pub type ListQuery<T> = Result<Query<T>, QueryRejection>;

/// The search of a list's query; a malformed query is the whole list, never an error.
pub fn search_or_default<T: Default>(query: ListQuery<T>) -> T {
    query.map(|Query(search)| search).unwrap_or_default()
}

/// Renders `template` with `data` plus the signed-in user and the CSRF token.
pub fn render(
    state: &AppState,
    user: Option<&SessionUser>,
    template: &str,
    mut data: Value,
) -> Result<Html<String>, HttpError> {
    if let Some(u) = user {
        data["user"] = json!({
            "name": u.account.name,
            "display_name": u.account.display_name,
            "role": u.account.role.as_str(),
            "role_label": u.account.role.label(),
            "level_label": u.account.level.map(super::super::domain::region::Level::label),
            "region": u.account.region.map(|r| r.to_string()),
        });
        data["csrf"] = json!(u.csrf);
    }
    let html = state.templates.get_template(template)?.render(data)?;
    Ok(Html(html))
}

/// Divisions a name picker carries in the page itself, at most: a province's (Sichuan has 209).
/// A longer list (every division, some 160 KB of options) would weigh down each view of the
/// page for a form seldom used: the portal's script fetches it once, on first use, from
/// [`crate::web::assets::REGIONS`], which browsers then keep.
const INLINE_REGIONS: usize = 300;

/// A name picker's list of the divisions under `prefix` ("" for all), as the `region_datalist`
/// macro of `lists.html` shows it: `{"options": ["清丰县（410922）", …]}` when they are few,
/// else `{"src": <address of every division>, "prefix": prefix}` for the script to fetch and
/// narrow. The central pseudo-region is left out.
pub fn region_picker(prefix: &str) -> Value {
    let mut under =
        crate::domain::region::known_regions().filter(|(code, _)| code.starts_with(prefix) && *code != "100000");
    let few: Vec<&str> = under.by_ref().take(INLINE_REGIONS + 1).map(|(code, _)| code).collect();
    if few.len() > INLINE_REGIONS {
        return json!({ "src": crate::web::assets::REGIONS.url(), "prefix": prefix });
    }
    let options: Vec<String> = few.into_iter().map(crate::domain::region::region_label).collect();
    json!({ "options": options })
}

/// The divisions under `prefix` ("" for all) down to `max_depth` (0 provinces, 1 cities,
/// 2 counties) for a region picker, by name, indented by level; `keep` (the one chosen) is
/// offered whatever its depth.
pub fn region_options(prefix: &str, max_depth: usize, keep: &str) -> Vec<Value> {
    crate::domain::region::known_regions()
        .filter(|(code, _)| code.starts_with(prefix) && *code != "100000")
        .filter_map(|(code, name)| {
            let depth = if code.ends_with("0000") {
                0
            } else if code.ends_with("00") {
                1
            } else {
                2
            };
            (depth <= max_depth || code == keep)
                .then(|| json!({ "code": code, "label": format!("{}{name}", "　".repeat(depth)) }))
        })
        .collect()
}
