//! The oversight dashboard for reviewers and supervisors: the live compliance picture of their
//! region (filters by region, status and system category; charts; worst offenders; sightings),
//! the drill-down to a site's pages, history and notices, and the CSV/XLSX downloads of exactly
//! what the filtered view shows.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header::{self, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use bytes::Bytes;
use serde_json::json;

use super::render;
use crate::report::figures::{PageView, SiteView};
use crate::report::rows::{
    for_each_page, page_cells, ReportData, SiteLine, SitePages, PAGE_COLUMNS, SITE_COLUMNS, SUMMARY_COLUMNS,
};
use crate::report::{charts, csv, xlsx, ReportError};
use crate::service::oversight::{self, FilterInput};
use crate::store::Pool;
use crate::web::auth::CodePath;
use crate::web::auth::User;
use crate::web::error::HttpError;
use crate::web::state::AppState;

/// Sites listed on the dashboard page; the downloads have them all.
const LISTED_SITES: usize = 500;

/// `GET /dashboard`: the supervisor's figures, charts and sites of their area.
pub async fn index(
    State(state): State<AppState>,
    User(user): User,
    Query(input): Query<FilterInput>,
) -> Result<Html<String>, HttpError> {
    let actor = user.actor();
    let (view, errors) = oversight::oversight(&actor, &input)?;
    let board = oversight::dashboard(&state.ctx, &view, LISTED_SITES).await?;
    let sightings = crate::report::counterfeit_sightings(&state.ctx.pool, view.focus(), chrono::Utc::now()).await?;
    let listed: Vec<SiteView> = board.listed.iter().map(SiteView::from).collect();
    let offenders: Vec<SiteView> = board.offenders.iter().map(SiteView::from).collect();
    let area_label = crate::report::html::scope_label(&view.area);
    let data = json!({
        "area_label": area_label,
        "regions": super::region_options(&view.area, if view.area.is_empty() { 1 } else { 2 }, &input.region),
        "input": input,
        "query": input.query(),
        "errors": errors,
        "figures": board.figures,
        "region_chart": charts::region_bars(&board.regions),
        "status_chart": charts::status_breakdown(&board.totals),
        "trend_chart": charts::trend(&board.trend),
        "counted_at": crate::report::rows::china_time(board.counted_at),
        "refresh_seconds": state.ctx.config.server.dashboard_refresh_seconds,
        "offenders": offenders,
        "sites": listed,
        "sites_total": board.totals.total(),
        "listed_max": LISTED_SITES,
        "statuses": oversight::status_choices(),
        "categories": board.categories,
        "sightings": sightings.iter().take(20).collect::<Vec<_>>(),
        "sightings_total": sightings.len(),
    });
    render(&state, Some(&user), "dashboard.html", data)
}

/// `GET /dashboard/sites/{code}`: one site's pages, history and notices.
pub async fn site(
    State(state): State<AppState>,
    User(user): User,
    CodePath(code): CodePath,
) -> Result<Html<String>, HttpError> {
    let detail = oversight::site(&state.ctx, &user.actor(), &code).await?;
    let history: Vec<_> = detail
        .history
        .iter()
        .map(|h| {
            json!({
                "sweep_id": h.sweep_id,
                "kind": match h.kind.as_str() { "scheduled" => "定期检查", "self_check" => "单位自查", _ => "巡检" },
                "verdict": h.site_verdict.label(),
                "pages": h.pages, "compliant": h.compliant,
                "first_failing_url": h.first_failing_url,
                "checked_at": crate::report::rows::china_time(h.checked_at),
            })
        })
        .collect();
    let notices: Vec<_> = detail
        .notices
        .iter()
        .map(|n| {
            json!({
                "kind": match n.kind.as_str() {
                    "reminder" => "挂标提醒", "overdue" => "逾期通知", "regression" => "标识缺失通知", _ => "监督汇总通报",
                },
                "period": n.period, "messages": n.messages,
                "created_at": crate::report::rows::china_time(n.created_at),
            })
        })
        .collect();
    let data = json!({
        "site": SiteView::from(&detail.line),
        "pages": detail.pages.iter().map(PageView::from).collect::<Vec<_>>(),
        "history": history,
        "notices": notices,
    });
    render(&state, Some(&user), "dashboard_site.html", data)
}

/// `GET /dashboard/sites/{code}/screenshots/{id}`: the bottom of a page as the rendered check
/// saw it (PNG), for supervisors of the site's area.
pub async fn screenshot(
    State(state): State<AppState>,
    User(user): User,
    Path((code, id)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    let code = crate::domain::badge::SiteCode::parse(&code).ok_or_else(HttpError::not_found)?;
    let id: i64 = id.parse().map_err(|_| HttpError::not_found())?;
    let png = oversight::screenshot(&state.ctx, &user.actor(), &code, id).await?;
    Ok(png_response(png))
}

/// A stored screenshot as an answer: private to the signed-in viewer.
pub fn png_response(png: Vec<u8>) -> Response {
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
        (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    (headers, png).into_response()
}

/// `sites.csv`, `pages.csv`, `summary.csv` or `report.xlsx` of the filtered view.
pub async fn download(
    State(state): State<AppState>,
    User(user): User,
    Path(file): Path<String>,
    Query(input): Query<FilterInput>,
) -> Result<Response, HttpError> {
    let view = oversight::strict_oversight(&user.actor(), &input)?;
    let (_, lines) = oversight::lines(&state.ctx, &view).await?;
    let data = ReportData::build(&lines);
    let pool = &state.ctx.pool;
    let (body, content_type) = match file.as_str() {
        "sites.csv" => (Body::from(csv::render(&SITE_COLUMNS, &data.sites)), "text/csv; charset=utf-8"),
        "summary.csv" => (Body::from(csv::render(&SUMMARY_COLUMNS, &data.summary)), "text/csv; charset=utf-8"),
        "pages.csv" => (pages_csv(pool.clone(), lines), "text/csv; charset=utf-8"),
        "report.xlsx" => {
            (workbook(pool, &lines, data).await?, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        }
        _ => return Err(HttpError::not_found()),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    let disposition = format!("attachment; filename=\"{file}\"");
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Parts of a download made ahead of the client, at most.
const PARTS_AHEAD: usize = 4;

/// The bytes of a file read from disk per part of a download.
const FILE_PART: usize = 64 * 1024;

/// An answer's body sent in the parts that come down `parts`, as they come. An error ends the
/// answer early (the client sees a download cut short, not a file that looks whole).
fn streamed(parts: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>) -> Body {
    Body::from_stream(futures_util::stream::unfold(parts, |mut parts| async move {
        parts.recv().await.map(|part| (part, parts))
    }))
}

/// `pages.csv` of the view's sites, written a site at a time and sent as it is written: the
/// pages of a whole province are never held in memory at once, and the first bytes leave at
/// once. Stops when the client goes away.
fn pages_csv(pool: Pool, lines: Vec<SiteLine>) -> Body {
    let (sender, parts) = tokio::sync::mpsc::channel(PARTS_AHEAD);
    tokio::spawn(async move {
        if let Err(e) = send_pages_csv(&pool, &lines, &sender).await {
            tracing::warn!(error = %e, "a pages.csv download stopped");
            let _ = sender.send(Err(std::io::Error::other(e.to_string()))).await;
        }
    });
    streamed(parts)
}

async fn send_pages_csv(
    pool: &Pool,
    lines: &[SiteLine],
    sender: &tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
) -> Result<(), ReportError> {
    let mut writer = csv::CsvWriter::new(Vec::new(), &PAGE_COLUMNS)?;
    let mut sites = SitePages::new(pool, lines);
    while let Some((line, pages)) = sites.next().await? {
        for page in &pages {
            writer.row(&page_cells(&line.site.code, page))?;
        }
        let part = writer.take_written();
        if !part.is_empty() && sender.send(Ok(part.into())).await.is_err() {
            return Ok(()); // The client went away.
        }
    }
    let rest = writer.finish()?;
    if !rest.is_empty() {
        let _ = sender.send(Ok(rest.into())).await;
    }
    Ok(())
}

/// `report.xlsx` of the view, written (in constant memory) to a temporary file and sent from
/// it in parts: a workbook of a province's pages is never held in memory whole.
async fn workbook(pool: &Pool, lines: &[SiteLine], data: ReportData) -> Result<Body, ReportError> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("report.xlsx");
    let book = xlsx::XlsxOnThread::start(xlsx::XlsxReport::new(&data.sites, &data.site_statuses)?);
    // After a failed read, `book` is dropped unsaved and its thread ends.
    for_each_page(pool, lines, |line, page| {
        book.page_row(page_cells(&line.site.code, page));
        Ok(())
    })
    .await?;
    book.save(data.summary, path.clone()).wait().await?;
    // Open, the file stays readable after its directory is removed with `dir`.
    let mut file = std::fs::File::open(&path)?;
    drop(dir);
    let (sender, parts) = tokio::sync::mpsc::channel(PARTS_AHEAD);
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        loop {
            let mut part = vec![0; FILE_PART];
            match file.read(&mut part) {
                Ok(0) => return,
                Ok(n) => {
                    part.truncate(n);
                    if sender.blocking_send(Ok(part.into())).is_err() {
                        return; // The client went away.
                    }
                }
                Err(e) => {
                    let _ = sender.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    Ok(streamed(parts))
}
