//! Sweep results written out for people and programs. For now the raw export: one JSON line per
//! site (with its status) and per page, in `<out>/<date>-<scope>/`.

use std::io::Write;
use std::path::{Path, PathBuf};

use sqlx::SqlitePool;

use crate::domain::badge::BadgeStatus;
use crate::domain::calendar::today_in_china;
use crate::domain::site_status::site_status;
use crate::store::sweeps;

/// Writes `sites.jsonl` and `pages.jsonl` of a sweep; returns the directory.
pub async fn export_sweep(pool: &SqlitePool, sweep_id: i64, out: &Path) -> anyhow::Result<PathBuf> {
    let sweep = sweeps::get(pool, sweep_id).await?;
    let date = today_in_china(sweep.started_at);
    let scope = if sweep.scope.is_empty() { "all".to_owned() } else { sweep.scope.clone() };
    let dir = out.join(format!("{date}-{scope}"));
    std::fs::create_dir_all(&dir)?;
    let today = today_in_china(chrono::Utc::now());
    let mut sites = std::io::BufWriter::new(std::fs::File::create(dir.join("sites.jsonl"))?);
    let mut pages = std::io::BufWriter::new(std::fs::File::create(dir.join("pages.jsonl"))?);
    for site in sweeps::sites(pool, &sweep.scope).await? {
        let latest = sweeps::latest_result(pool, &site.code).await?;
        let badge = BadgeStatus::parse(&site.status).unwrap_or(BadgeStatus::Active);
        let status = site_status(badge, latest.as_ref().map(|l| l.site_verdict.as_str()), site.install_due, today);
        let row = serde_json::json!({
            "code": site.code, "unit": site.unit_name, "region": site.region, "site_name": site.site_name,
            "domains": [site.domain_en, site.domain_cn], "status": status.as_str(), "deadline": site.install_due.to_string(),
            "pages": latest.as_ref().map(|l| l.pages), "compliant": latest.as_ref().map(|l| l.compliant),
            "first_failing_url": latest.as_ref().and_then(|l| l.first_failing_url.clone()),
            "first_failing_verdict": latest.as_ref().and_then(|l| l.first_failing_verdict.clone()),
            "checked_at": latest.as_ref().map(|l| l.checked_at.to_rfc3339()),
        });
        writeln!(sites, "{row}")?;
        for page in sweeps::pages(pool, sweep_id, &site.code).await? {
            let mut value = serde_json::to_value(&page)?;
            value["code"] = serde_json::json!(site.code);
            writeln!(pages, "{value}")?;
        }
    }
    sites.flush()?;
    pages.flush()?;
    Ok(dir)
}
