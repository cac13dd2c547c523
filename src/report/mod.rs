//! Sweep reports for supervisors, rendered from stored results so they can be made again:
//! `sites.csv`, `pages.csv`, `summary.csv` (UTF-8 with a byte-order mark and CRLF line ends, so
//! Excel and WPS read the Chinese) and `report.xlsx` with the same three sheets, in
//! `<out>/<date>-<scope>/`. Also the raw JSON Lines export.

pub mod csv;
pub mod rows;
pub mod xlsx;

use std::io::Write;
use std::path::{Path, PathBuf};

use sqlx::SqlitePool;

use crate::domain::calendar::today_in_china;
use crate::store::sweeps;

/// Writes every report of a sweep; returns the directory.
pub async fn write_reports(pool: &SqlitePool, sweep_id: i64, out: &Path) -> anyhow::Result<PathBuf> {
    let sweep = sweeps::get(pool, sweep_id).await?;
    let date = today_in_china(sweep.started_at);
    let scope = if sweep.scope.is_empty() { "all".to_owned() } else { sweep.scope.clone() };
    let dir = out.join(format!("{date}-{scope}"));
    std::fs::create_dir_all(&dir)?;
    let data = rows::load(pool, &sweep, today_in_china(chrono::Utc::now())).await?;
    std::fs::write(dir.join("sites.csv"), csv::render(&rows::SITE_COLUMNS, &data.sites))?;
    std::fs::write(dir.join("pages.csv"), csv::render(&rows::PAGE_COLUMNS, &data.pages))?;
    std::fs::write(dir.join("summary.csv"), csv::render(&rows::SUMMARY_COLUMNS, &data.summary))?;
    xlsx::write(&dir.join("report.xlsx"), &data)?;
    let mut jsonl = std::io::BufWriter::new(std::fs::File::create(dir.join("pages.jsonl"))?);
    for page in &data.pages {
        let object: serde_json::Map<String, serde_json::Value> = rows::PAGE_COLUMNS
            .iter()
            .zip(page)
            .map(|((key, _), v)| ((*key).to_owned(), serde_json::json!(v)))
            .collect();
        writeln!(jsonl, "{}", serde_json::Value::Object(object))?;
    }
    jsonl.flush()?;
    Ok(dir)
}
