//! What reviewers and supervisors oversee: the live compliance picture of their region (each
//! site's latest result), filtered, and one site's pages and history. Every query is bounded by
//! the actor's jurisdiction; a filter can only narrow it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::{Context, FieldErrors, ServiceError};
use crate::domain::account::Actor;
use crate::domain::badge::SiteCode;
use crate::domain::calendar::today_in_china;
use crate::domain::site_status::SiteStatus;
use crate::report::figures::Figures;
use crate::report::rows::{self, RegionCounts, ResultSource, SiteFilter, SiteLine, STATUSES};
use crate::store::oversight::{self as store_oversight, Pick, Selection};
use crate::store::sweeps::{self, HistoryEntry, PageRow, TrendPoint};

/// The dashboard's filters as the form sends them.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct FilterInput {
    /// A region code prefix.
    pub region: String,
    /// A site status word, or empty for all.
    pub status: String,
    /// A unit category, or empty for all.
    pub category: String,
}

impl FilterInput {
    /// The filters as a query string, for links that keep them.
    pub fn query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("region", &self.region)
            .append_pair("status", &self.status)
            .append_pair("category", &self.category)
            .finish()
    }
}

/// An actor's area and the filter within it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oversight {
    /// The jurisdiction: a region code prefix ("" for central staff).
    pub area: String,
    /// The filter the actor chose, within the area.
    pub filter: SiteFilter,
}

impl Oversight {
    /// The narrowest region prefix the view covers (for the trend).
    pub fn focus(&self) -> &str {
        if self.filter.region.len() > self.area.len() {
            &self.filter.region
        } else {
            &self.area
        }
    }
}

/// The actor's area with the filters applied; a field that does not parse or lies outside
/// the area is reported per field (and left out of the filter).
pub fn oversight(actor: &Actor, input: &FilterInput) -> Result<(Oversight, FieldErrors), ServiceError> {
    let area = actor.oversight_prefix().ok_or(ServiceError::Forbidden)?;
    let mut errors = FieldErrors::new();
    let mut filter = SiteFilter::default();
    let region = input.region.trim();
    if !region.is_empty() {
        if region.len() > 6 || !region.bytes().all(|b| b.is_ascii_digit()) {
            errors.insert("region", "行政区划代码应为不超过6位的数字".to_owned());
        } else {
            // Trailing zeros of a full code name the whole division (410900 is all of 濮阳市).
            let prefix = if region.len() == 6 {
                crate::domain::region::RegionCode::parse(region)
                    .map_or_else(|_| region.to_owned(), |c| c.jurisdiction_prefix().to_owned())
            } else {
                region.to_owned()
            };
            if prefix.starts_with(&area) {
                filter.region = prefix;
            } else if !area.starts_with(&prefix) {
                errors.insert("region", "该行政区划不在本辖区范围内".to_owned());
            }
        }
    }
    match input.status.trim() {
        "" => {}
        s => match STATUSES.into_iter().find(|st| st.as_str() == s) {
            Some(status) => filter.status = Some(status),
            None => {
                errors.insert("status", "状态无效".to_owned());
            }
        },
    }
    let category = input.category.trim();
    if !category.is_empty() {
        filter.category = Some(category.to_owned());
    }
    Ok((Oversight { area, filter }, errors))
}

/// Like [`oversight`], but any bad filter is an error (for downloads).
pub fn strict_oversight(actor: &Actor, input: &FilterInput) -> Result<Oversight, ServiceError> {
    let (view, errors) = oversight(actor, input)?;
    if errors.is_empty() {
        Ok(view)
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

/// Every site of the area with its latest result, and the ones the filter keeps.
pub async fn lines(ctx: &Context, view: &Oversight) -> Result<(Vec<SiteLine>, Vec<SiteLine>), ServiceError> {
    let all = rows::site_lines(&ctx.pool, &view.area, ResultSource::Latest, today_in_china(Utc::now())).await?;
    let kept = all.iter().filter(|l| view.filter.accepts(l)).cloned().collect();
    Ok((all, kept))
}

/// What the dashboard shows of a view, read with aggregate queries: never every site.
#[derive(Debug)]
pub struct Dashboard {
    /// The kept sites by region and status.
    pub regions: Vec<RegionCounts>,
    /// Their total.
    pub totals: RegionCounts,
    /// The headline figures.
    pub figures: Figures,
    /// The first kept sites in code order.
    pub listed: Vec<SiteLine>,
    /// The kept sites most in need of action.
    pub offenders: Vec<SiteLine>,
    /// The unit categories of the whole area (the filter's choices).
    pub categories: Vec<String>,
    /// The compliance rate of the latest finished sweeps covering the view's region.
    pub trend: Vec<TrendPoint>,
    /// When the figures were counted.
    pub counted_at: DateTime<Utc>,
}

/// A dashboard view: the area, the filter, the day its statuses are for and the sites listed.
type ViewKey = (String, SiteFilter, NaiveDate, usize);

/// Dashboards recently counted, per view, reused for `server.dashboard_refresh_seconds`: at
/// national scale a view's counts take about a second, and supervisors reload the page often.
#[derive(Default)]
pub struct DashboardCache {
    entries: Mutex<HashMap<ViewKey, (Instant, Arc<Dashboard>)>>,
}

/// Views kept at most per instance.
const CACHED_VIEWS: usize = 256;

impl DashboardCache {
    fn get(&self, key: &ViewKey, fresh_for: Duration) -> Option<Arc<Dashboard>> {
        let entries = self.entries.lock().expect("dashboard cache lock");
        entries.get(key).filter(|(at, _)| at.elapsed() < fresh_for).map(|(_, board)| board.clone())
    }

    fn put(&self, key: ViewKey, board: Arc<Dashboard>, fresh_for: Duration) {
        let mut entries = self.entries.lock().expect("dashboard cache lock");
        if entries.len() >= CACHED_VIEWS {
            entries.retain(|_, (at, _)| at.elapsed() < fresh_for);
            if entries.len() >= CACHED_VIEWS {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), board));
    }
}

/// The dashboard of `view`: counts and figures of every kept site, the first `listed` of them,
/// the 10 worst offenders and the trend; counted again once `server.dashboard_refresh_seconds`
/// have passed since the view was last counted.
pub async fn dashboard(ctx: &Context, view: &Oversight, listed: usize) -> Result<Arc<Dashboard>, ServiceError> {
    let today = today_in_china(Utc::now());
    let fresh_for = Duration::from_secs(ctx.config.server.dashboard_refresh_seconds);
    let key = (view.area.clone(), view.filter.clone(), today, listed);
    if let Some(board) = ctx.dashboards.get(&key, fresh_for) {
        return Ok(board);
    }
    let board = Arc::new(count_dashboard(ctx, view, listed, today).await?);
    if !fresh_for.is_zero() {
        ctx.dashboards.put(key, board.clone(), fresh_for);
    }
    Ok(board)
}

async fn count_dashboard(
    ctx: &Context,
    view: &Oversight,
    listed: usize,
    today: NaiveDate,
) -> Result<Dashboard, ServiceError> {
    let counted_at = Utc::now();
    let selection = Selection {
        prefix: view.focus(),
        status: view.filter.status,
        category: view.filter.category.as_deref(),
        today,
    };
    let counts = store_oversight::counts(&ctx.pool, &selection).await?;
    let (regions, totals) = rows::by_region_counted(&counts);
    let sum = |field: fn(&store_oversight::StatusCount) -> i64| counts.iter().map(field).sum::<i64>();
    let figures = Figures::counted(&totals, sum(|c| c.pages), sum(|c| c.unchecked), sum(|c| c.failing));
    let lines = |pick, limit: usize| {
        let selection = &selection;
        async move {
            let sites = store_oversight::sites(&ctx.pool, selection, pick, limit as i64).await?;
            let mut lines = Vec::with_capacity(sites.len());
            for (site, result) in sites {
                lines.push(rows::line(&ctx.pool, site, result, today).await?);
            }
            Ok::<_, ServiceError>(lines)
        }
    };
    let listed = lines(Pick::ByCode, listed).await?;
    let offenders = lines(Pick::WorstOffenders, 10).await?;
    let categories = store_oversight::categories(&ctx.pool, &view.area).await?;
    let trend = sweeps::trend(&ctx.pool, view.focus(), i64::MAX, crate::report::TREND_SWEEPS).await?;
    Ok(Dashboard { regions, totals, figures, listed, offenders, categories, trend, counted_at })
}

/// One site as the drill-down shows it.
pub struct SiteDetail {
    /// The site and its latest result.
    pub line: SiteLine,
    /// The pages of its latest run.
    pub pages: Vec<PageRow>,
    /// Its results in earlier runs.
    pub history: Vec<HistoryEntry>,
    /// Enforcement notices about it.
    pub notices: Vec<crate::store::notices::SiteNotice>,
}

/// A site of the actor's area: its latest pages, its runs and the notices sent about it.
pub async fn site(ctx: &Context, actor: &Actor, code: &SiteCode) -> Result<SiteDetail, ServiceError> {
    let row = site_in_area(ctx, actor, code).await?;
    let code = code.as_str();
    let line = rows::site_line(&ctx.pool, row, ResultSource::Latest, today_in_china(Utc::now())).await?;
    let pages = match &line.result {
        Some(r) => sweeps::pages(&ctx.pool, r.sweep_id, code).await?,
        None => Vec::new(),
    };
    let history = sweeps::history(&ctx.pool, code, 100).await?;
    let notices = crate::store::notices::for_site(&ctx.pool, code).await?;
    Ok(SiteDetail { line, pages, history, notices })
}

/// The screenshot `id` the rendered check kept of a page of the site `code`, for a supervisor
/// of the site's area (others get not found, as for the site itself).
pub async fn screenshot(ctx: &Context, actor: &Actor, code: &SiteCode, id: i64) -> Result<Vec<u8>, ServiceError> {
    site_in_area(ctx, actor, code).await?;
    sweeps::screenshot(&ctx.pool, code.as_str(), id).await?.ok_or(ServiceError::NotFound)
}

/// The site `code`, when it lies in the actor's area of oversight.
async fn site_in_area(ctx: &Context, actor: &Actor, code: &SiteCode) -> Result<sweeps::SiteRow, ServiceError> {
    let area = actor.oversight_prefix().ok_or(ServiceError::Forbidden)?;
    let row = match sweeps::site(&ctx.pool, code.as_str()).await {
        Ok(row) => row,
        Err(crate::store::StoreError::NotFound) => return Err(ServiceError::NotFound),
        Err(e) => return Err(e.into()),
    };
    if !row.region.starts_with(&area) {
        // Not found rather than forbidden: the code of another region's site is not confirmed.
        return Err(ServiceError::NotFound);
    }
    Ok(row)
}

/// The statuses with their labels, for the filter's choices.
pub fn status_choices() -> Vec<(&'static str, &'static str)> {
    STATUSES.iter().map(|s: &SiteStatus| (s.as_str(), s.label())).collect()
}
