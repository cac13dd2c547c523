//! Sweep reports for supervisors, rendered from stored results so they can be made again:
//! `sites.csv`, `pages.csv`, `summary.csv` (UTF-8 with a byte-order mark and CRLF line ends, so
//! Excel and WPS read the Chinese), `report.xlsx` with the same three sheets and the
//! self-contained `index.html`, in `<out>/<date>-<scope>/`. Also the raw JSON Lines export.

pub mod charts;
pub mod csv;
pub mod figures;
pub mod html;
pub mod rows;
pub mod xlsx;

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading the sweep failed.
    #[error("reading the results: {0}")]
    Store(#[from] crate::store::StoreError),
    /// Writing a file failed.
    #[error("writing the report: {0}")]
    Io(#[from] std::io::Error),
    /// The HTML template failed.
    #[error("rendering the HTML report: {0}")]
    Template(#[from] minijinja::Error),
    /// The XLSX writer failed.
    #[error("writing the spreadsheet: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The JSON summary could not be written.
    #[error("writing JSON Lines: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<sqlx::Error> for ReportError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::store::Pool;

use crate::domain::calendar::today_in_china;
use crate::store::sweeps::{self, Sweep};
use rows::{ResultSource, SiteLine};

/// The result of a task the reports started (a read, the workbook's thread): its own result,
/// its panic resumed here, or an error saying `what` stopped (the runtime shutting down).
fn joined<T>(task: Result<Result<T, ReportError>, tokio::task::JoinError>, what: &str) -> Result<T, ReportError> {
    match task {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(std::io::Error::other(format!("{what} stopped: {e}")).into()),
    }
}

/// A line of `pages.jsonl`: the site's code and the stored page result, machine values.
#[derive(serde::Serialize)]
struct JsonPage<'a> {
    code: &'a str,
    #[serde(flatten)]
    page: &'a sweeps::PageRow,
}

/// Sweeps the trend of a report goes back over.
pub const TREND_SWEEPS: i64 = 12;

/// The site lines of a stored sweep, with statuses as of the day it finished, so that a report
/// rendered again later reads the same.
pub async fn sweep_lines(pool: &Pool, sweep: &Sweep) -> Result<Vec<SiteLine>, ReportError> {
    let as_of = today_in_china(sweep.finished_at.unwrap_or(sweep.started_at));
    rows::site_lines(pool, &sweep.scope, ResultSource::Sweep(sweep.id), as_of).await
}

/// Unregistered hosts seen showing a badge of `scope`, first seen by `until`.
pub async fn counterfeit_sightings(
    pool: &Pool,
    scope: &str,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<html::CounterfeitSighting>, ReportError> {
    Ok(crate::store::sightings::list(pool, scope)
        .await?
        .into_iter()
        .filter(|s| !s.registered && s.first_seen <= until)
        .map(|s| html::CounterfeitSighting { code: s.code, host: s.host, first_seen: rows::china_time(s.first_seen) })
        .collect())
}

/// Writes every report of a sweep into `<out>/<date>-<scope>/`; returns the directory. Pages
/// are streamed from the database into the files, one site at a time.
pub async fn write_reports(pool: &Pool, sweep_id: i64, out: &Path) -> Result<PathBuf, ReportError> {
    let sweep = sweeps::get(pool, sweep_id).await?;
    let date = today_in_china(sweep.started_at);
    let scope = if sweep.scope.is_empty() { "all".to_owned() } else { sweep.scope.clone() };
    let dir = out.join(format!("{date}-{scope}"));
    std::fs::create_dir_all(&dir)?;
    let lines = sweep_lines(pool, &sweep).await?;
    let data = rows::ReportData::build(&lines);
    std::fs::write(dir.join("sites.csv"), csv::render(&rows::SITE_COLUMNS, &data.sites))?;
    std::fs::write(dir.join("summary.csv"), csv::render(&rows::SUMMARY_COLUMNS, &data.summary))?;
    let create = |name: &str| -> std::io::Result<BufWriter<File>> { Ok(BufWriter::new(File::create(dir.join(name))?)) };
    let mut pages_csv = csv::CsvWriter::new(create("pages.csv")?, &rows::PAGE_COLUMNS)?;
    let mut jsonl = create("pages.jsonl")?;
    let book = xlsx::XlsxOnThread::start(xlsx::XlsxReport::new(&data.sites, &data.site_statuses)?);
    // The HTML report's failing-page sections are spooled to a file beside it as the pages
    // pass, then copied into place: memory stays flat however many pages failed.
    let spool_path = dir.join(".index.html.sections");
    let mut failing = html::FailingSections::new(BufWriter::new(File::create(&spool_path)?));
    rows::for_each_page(pool, &lines, |line, page| {
        let cells = rows::page_cells(&line.site.code, page);
        pages_csv.row(&cells)?;
        book.page_row(cells);
        serde_json::to_writer(&mut jsonl, &JsonPage { code: &line.site.code, page })?;
        jsonl.write_all(b"\n")?;
        failing.add(line, page)
    })
    .await?;
    pages_csv.finish()?;
    jsonl.flush()?;
    // The workbook is compressed and saved while the HTML report is written.
    let saving = book.save(data.summary, dir.join("report.xlsx"));
    let (spool, sections) = failing.finish()?;
    spool.into_inner().map_err(std::io::IntoInnerError::into_error)?;
    // Screenshots of non-compliant rendered pages, which the failing-page sections link to.
    let shots = dir.join("screenshots");
    sweeps::for_each_screenshot(pool, sweep.id, |id, png| {
        std::fs::create_dir_all(&shots)?;
        Ok::<_, ReportError>(std::fs::write(shots.join(format!("{id}.png")), png)?)
    })
    .await?;
    let mut index = create("index.html")?;
    write_html(pool, &sweep, &lines, &sections, &mut File::open(&spool_path)?, &mut index).await?;
    index.flush()?;
    std::fs::remove_file(&spool_path)?;
    saving.wait().await?;
    Ok(dir)
}

/// The `index.html` of a sweep, rendered in memory (pages read again from the database).
pub async fn render_html(pool: &Pool, sweep: &Sweep, lines: &[SiteLine]) -> Result<String, ReportError> {
    let mut failing = html::FailingSections::new(Vec::new());
    rows::for_each_page(pool, lines, |line, page| failing.add(line, page)).await?;
    let (spooled, sections) = failing.finish()?;
    let mut out = Vec::new();
    write_html(pool, sweep, lines, &sections, &mut spooled.as_slice(), &mut out).await?;
    String::from_utf8(out).map_err(|e| ReportError::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// Writes the `index.html` of a sweep to `out`, with the failing-page sections read from
/// `spooled` (written by [`html::FailingSections`] for the sites in `sections`).
async fn write_html(
    pool: &Pool,
    sweep: &Sweep,
    lines: &[SiteLine],
    sections: &std::collections::HashSet<String>,
    spooled: &mut impl std::io::Read,
    out: &mut impl Write,
) -> Result<(), ReportError> {
    let trend = sweeps::trend(pool, &sweep.scope, sweep.id, TREND_SWEEPS).await?;
    let until = sweep.finished_at.unwrap_or(sweep.started_at);
    let sightings = counterfeit_sightings(pool, &sweep.scope, until).await?;
    html::write(&html::HtmlInput { sweep, lines, sections, trend: &trend, sightings: &sightings }, spooled, out)
}
