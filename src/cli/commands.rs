//! The `check`, `crawl`, `sweep` and `report` commands: output for people (Chinese) and for
//! machines (JSON).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use url::Url;

use crate::check::{self, PageInput, PageReport, Verdict};
use crate::config::Config;
use crate::crawl::{Crawler, PageOutcome, PageResult, SiteSpec};
use crate::domain::badge::SiteCode;
use crate::domain::region::RegionCode;
use crate::domain::site_status::SiteVerdict;

/// Exit status of a check: 0 compliant, 1 not compliant, 2 usage or I/O error.
pub fn exit_for(compliant: bool) -> ExitCode {
    ExitCode::from(u8::from(!compliant))
}

fn badge_base(config: &Config, given: Option<&str>) -> anyhow::Result<Url> {
    let text = given.unwrap_or(&config.badge.base_url);
    Url::parse(text).map_err(|e| anyhow::anyhow!("--badge-base {text:?}: {e}"))
}

fn print_report(target: &str, r: &PageReport) {
    println!("页面：{target}");
    println!("编码：{}　标题：{}", r.encoding, r.title.as_deref().unwrap_or("（无）"));
    match r.badge {
        Some(kind) => println!("结论：{}（{}）", r.verdict.label(), kind.label()),
        None => println!("结论：{}", r.verdict.label()),
    }
    if !r.codes_found.is_empty() {
        println!("页面上的标识代码：{}", r.codes_found.join("、"));
    }
    println!("说明：{}", r.verdict.advice());
    for w in &r.warnings {
        println!("提示：{}", w.advice());
    }
    let f = &r.footer;
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "未发现".into());
    println!(
        "页脚：ICP备案 {}；公安备案 {}；网站标识码 {}；旧版标识 {}",
        show(&f.icp),
        show(&f.police),
        show(&f.site_id_code),
        show(&f.legacy_badge)
    );
}

/// What `govbadge check` looks at and where its screenshot goes.
#[derive(Debug, Default)]
pub struct CheckTarget {
    /// The page to fetch.
    pub url: Option<String>,
    /// A saved page instead.
    pub file: Option<std::path::PathBuf>,
    /// Where to write the rendered check's screenshot of a non-compliant page.
    pub screenshot: Option<std::path::PathBuf>,
}

/// `govbadge check`: checks one page (or a saved file) and prints the verdict; the exit code says compliant or not.
pub async fn check(
    config: &Config,
    target: CheckTarget,
    code: &SiteCode,
    base: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let base = badge_base(config, base)?;
    let CheckTarget { url, file, screenshot } = target;
    if let Some(path) = file {
        let bytes = std::fs::read(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let report = check::check(&PageInput {
            bytes: &bytes,
            content_type: None,
            page_url: None,
            expected_code: code.as_str(),
            legacy: None,
            badge_base: &base,
        });
        if json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            print_report(&path.display().to_string(), &report);
        }
        return Ok(exit_for(report.verdict == Verdict::Compliant));
    }
    let url = Url::parse(url.as_deref().unwrap_or_default()).map_err(|e| anyhow::anyhow!("URL: {e}"))?;
    let crawler = Crawler::new(&config.crawl, base)?;
    let result = crawler.check_one(&url, code.as_str()).await;
    let shot = result.page().and_then(|p| p.rendered.as_ref()).and_then(|r| r.screenshot.as_deref());
    if let (Some(path), Some(png)) = (&screenshot, shot) {
        std::fs::write(path, png).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    if json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        print_page(&result);
        if let (Some(path), Some(_)) = (&screenshot, shot) {
            println!("    截图：{}", path.display());
        }
    }
    match result.page() {
        Some(_) => Ok(exit_for(result.compliant())),
        None => Ok(ExitCode::from(2)),
    }
}

fn print_page(p: &PageResult) {
    match &p.outcome {
        PageOutcome::Checked(page) => {
            let v = page.verdict;
            let mark = if page.compliant() { "✓" } else { "✗" };
            let kind = page.badge.filter(|k| k.is_legacy()).map(|k| format!("（{}）", k.label())).unwrap_or_default();
            println!("{mark} {} {}{kind}　{}", p.url, v.label(), page.title.as_deref().unwrap_or(""));
            let rendered = crate::render::rendered_decides(v, page.rendered.as_ref().map(|r| r.verdict));
            if v != Verdict::Compliant && rendered.is_none_or(|r| !r.is_compliant()) {
                println!("    说明：{}", v.advice());
            }
            for w in &page.warnings {
                println!("    提示：{}", w.advice());
            }
            if let Some(r) = &page.rendered {
                let inserted = if r.script_inserted { "（标识由页面脚本写入）" } else { "" };
                println!("    渲染检查：{}{inserted}　{}", r.verdict.label(), r.verdict.advice());
                if let Some(detail) = &r.detail {
                    println!("    渲染说明：{detail}");
                }
            }
        }
        PageOutcome::Failed { failure, .. } => {
            let status = p.status.map(|s| format!("（HTTP {s}）")).unwrap_or_default();
            println!("- {} 未检查：{}{status}", p.url, failure.advice());
        }
    }
}

/// `govbadge crawl`: crawls one site and prints a line (or JSON object) per URL and a summary.
pub async fn crawl(
    config: &Config,
    url: &str,
    code: &SiteCode,
    base: Option<&str>,
    max_pages: Option<usize>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let base = badge_base(config, base)?;
    let url = Url::parse(url).map_err(|e| anyhow::anyhow!("URL: {e}"))?;
    let crawler = Crawler::new(&config.crawl, base)?;
    let site = SiteSpec::from_url(url, code.as_str());
    let max = max_pages.unwrap_or(config.crawl.max_pages_per_site);
    // JSON lines go to a terminal as they come, and to a file or pipe in blocks (one write per
    // line cost a system call per page).
    let stdout = std::io::stdout();
    let mut lines = if stdout.is_terminal() {
        std::io::BufWriter::with_capacity(0, stdout)
    } else {
        std::io::BufWriter::with_capacity(1 << 16, stdout)
    };
    let summary = crawler
        .crawl_site(&site, max, |page| {
            if json {
                // A page result always serialises (its maps have string keys); a failed write
                // (a closed pipe) loses only the listing, and the crawl's exit code stands.
                let _ = serde_json::to_writer(&mut lines, page);
                let _ = lines.write_all(b"\n");
            } else {
                print_page(page);
            }
        })
        .await;
    let _ = lines.flush();
    if json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "共检查 {} 个页面，合规 {} 个；站点结论：{}",
            summary.pages,
            summary.compliant,
            summary.site_verdict.label()
        );
    }
    Ok(exit_for(summary.site_verdict == SiteVerdict::Compliant))
}

/// `govbadge worker`: crawls planned sweeps' sites beside other workers until stopped (Ctrl-C
/// or SIGTERM give the sites in flight back) or, with `until_idle`, until no work is left.
pub async fn worker(config: Config, lease: std::time::Duration, until_idle: bool) -> anyhow::Result<ExitCode> {
    use crate::service::worker::{self, DatabasePace, WorkerOptions};
    let pool = crate::store::connect_batch(&config.database.effective_url(), config.database.max_connections).await?;
    let crawler = Crawler::shared(&config.crawl, badge_base(&config, None)?, DatabasePace::new(pool.clone()))?;
    let options = WorkerOptions {
        name: crate::app::instance_name(),
        lease,
        site_concurrency: config.crawl.sweep_site_concurrency,
        max_pages: config.crawl.max_pages_per_site,
        seed_scheme: config.crawl.seed_scheme.clone(),
        poll: std::time::Duration::from_secs(1),
        until_idle,
        stop: crate::service::sweep::stop_on_signal(),
    };
    let report = worker::run(&pool, &crawler, options).await?;
    println!("本工作进程共检查站点 {} 个、页面 {} 个。", report.sites, report.pages);
    Ok(ExitCode::SUCCESS)
}

/// `govbadge sweep`: every badged site of the scope; Ctrl-C stops and says how to resume.
pub async fn sweep(
    config: Config,
    region: Option<RegionCode>,
    resume: bool,
    out: Option<std::path::PathBuf>,
    by_workers: bool,
) -> anyhow::Result<ExitCode> {
    use crate::service::sweep::{self, Crawling, SweepOptions};
    let scope = region.map_or_else(String::new, |r| r.jurisdiction_prefix().to_owned());
    let pool = crate::store::connect_batch(&config.database.effective_url(), config.database.max_connections).await?;
    let crawler = Crawler::new(&config.crawl, badge_base(&config, None)?)?;
    let crawling = if by_workers { Crawling::ByWorkers } else { Crawling::Here(&crawler) };
    let options = SweepOptions {
        scope: scope.clone(),
        resume,
        site_concurrency: config.crawl.sweep_site_concurrency,
        max_pages: config.crawl.max_pages_per_site,
        seed_scheme: config.crawl.seed_scheme.clone(),
        stop: sweep::stop_on_ctrl_c(),
    };
    let reports_root = out.unwrap_or_else(|| std::path::PathBuf::from("reports"));
    let finished = sweep::run_and_report(&pool, &config, crawling, options, &reports_root).await?;
    let report = &finished.sweep;
    let resume_hint = match &region {
        Some(r) => format!("govbadge sweep --resume --region {r}"),
        None => "govbadge sweep --resume".to_owned(),
    };
    let resume_hint = if by_workers { format!("{resume_hint} --workers") } else { resume_hint };
    if report.interrupted {
        println!(
            "巡检已中断：本次完成 {} 个站点（共 {} 个，此前已完成 {} 个）。继续巡检请运行：{resume_hint}",
            report.sites_checked, report.sites_total, report.sites_skipped
        );
        return Ok(ExitCode::from(130));
    }
    let (Some(dir), Some(sent)) = (&finished.reports, &finished.notices) else {
        anyhow::bail!("a finished sweep has reports and notices");
    };
    if sent.total() > 0 {
        println!(
            "已生成督促通知：挂标提醒 {} 份，逾期通知 {} 份，标识缺失通知 {} 份，监督汇总 {} 份（由服务发送）。",
            sent.reminders, sent.overdue, sent.regressions, sent.digests
        );
    }
    println!(
        "巡检完成（编号 {}）：{} 个站点，本次检查 {} 个，{} 个页面。结果已写入 {}",
        report.sweep_id,
        report.sites_total,
        report.sites_checked,
        report.pages,
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `govbadge report`: the reports of a sweep (the latest finished one by default), again.
pub async fn report(config: Config, sweep: Option<i64>, out: Option<std::path::PathBuf>) -> anyhow::Result<ExitCode> {
    let pool = crate::store::connect_batch(&config.database.effective_url(), config.database.max_connections).await?;
    let id = match sweep {
        Some(id) => id,
        None => crate::store::sweeps::latest_finished(&pool)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no finished sweep to report on"))?,
    };
    let dir =
        crate::report::write_reports(&pool, id, out.as_deref().unwrap_or(std::path::Path::new("reports"))).await?;
    println!("巡检报告（编号 {id}）已写入 {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// `govbadge import register`: plans the import of a register file, prints each row's action
/// and every problem, and with `apply` writes all rows or none.
pub async fn import_register(
    config: Config,
    file: &std::path::Path,
    apply: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use crate::service::register;
    let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let ctx = crate::app::build(config).await?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let plan = register::plan(&ctx, None, &bytes, &name).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let applied = if apply && plan.problems.is_empty() {
        Some(register::apply(&ctx, None, &plan).await.map_err(|e| anyhow::anyhow!("{e}"))?)
    } else {
        None
    };
    let (added, updated, unchanged) = plan.counts();
    if json {
        println!("{}", serde_json::json!({ "plan": plan, "applied": applied }));
    } else {
        for row in &plan.rows {
            let fields = match &row.action {
                register::RowAction::Update(keys) => {
                    let names: Vec<&str> = keys.iter().map(|k| crate::domain::register::heading(k)).collect();
                    format!("（{}）", names.join("、"))
                }
                _ => String::new(),
            };
            println!("第{}行　{}　{}　{}{fields}", row.row, row.code, row.site_name, row.action.label());
        }
        for p in &plan.problems {
            let field = if p.field.is_empty() { String::new() } else { format!("【{}】", p.field) };
            println!("第{}行　{field}{}", p.row, p.reason);
        }
        if plan.problems_total > plan.problems.len() {
            println!("共{}处错误，以上列出前{}处。", plan.problems_total, plan.problems.len());
        }
        println!(
            "共{}行：新增{added}，更新{updated}，无变化{unchanged}，有错误的行{}。",
            plan.rows_total, plan.rows_with_problems
        );
        match (&applied, apply) {
            (Some(a), _) => println!(
                "已导入：新增{}个网站，更新{}个网站，新建单位账号{}个（未启用，须由管理员激活）。",
                a.added, a.updated, a.accounts
            ),
            (None, true) => println!("文件中有错误，未导入任何数据；请改正后重新导入。"),
            (None, false) => println!("以上为试运行结果，未写入任何数据；确认无误后加 --apply 导入。"),
        }
    }
    Ok(if plan.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
