//! The command line: its arguments (clap) and the dispatch of each command. What the check,
//! crawl, sweep and report commands print is in `commands`.

pub mod commands;

use std::path::PathBuf;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::domain::badge::SiteCode;
use crate::domain::calendar::WorkingCalendar;
use crate::domain::region::RegionCode;

/// The `govbadge` command line.
#[derive(Debug, Parser)]
#[command(name = "govbadge", version, about = "党政机关网站标识管理：申请审核、标识发放、合规检查")]
pub struct Cli {
    /// Configuration file.
    #[arg(long, global = true, default_value = "config.toml", env = "GOVBADGE_CONFIG")]
    pub config: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the application and approval service.
    Serve {
        /// Address and port to listen on (overrides server.bind).
        #[arg(long)]
        bind: Option<std::net::SocketAddr>,
        /// Database URL (overrides database.url), e.g. <sqlite://var/govbadge.db> or <postgres://govbadge@db.example/govbadge>.
        #[arg(long)]
        database: Option<String>,
        /// Load the demo city, its accounts and applications into an empty database.
        #[arg(long)]
        demo: bool,
    },
    /// Check one page for the badge of CODE (exit 0 compliant, 1 not, 2 usage or I/O error).
    Check {
        /// The page to fetch.
        #[arg(required_unless_present = "file", conflicts_with = "file")]
        url: Option<String>,
        /// A saved page instead of a URL.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// The badge code the page must carry: a govbadge code (its check character is verified)
        /// or a national legacy code (CA and 21 digits).
        #[arg(long)]
        code: SiteCode,
        /// The badge service's base URL (default: `badge.base_url` from the configuration).
        #[arg(long)]
        badge_base: Option<String>,
        /// Also load the page in headless chromium and judge the badge as a visitor sees it
        /// (visible, full size, bottom centre, not covered), whatever `crawl.render` says.
        #[arg(long, conflicts_with = "file")]
        render: bool,
        /// Where to write a PNG of the page's bottom when the rendered check fails.
        #[arg(long, requires = "render")]
        screenshot: Option<std::path::PathBuf>,
        /// Print one JSON object instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Crawl one site from URL and check every page for the badge of CODE.
    Crawl {
        /// The site's start page.
        url: String,
        /// The badge code the site's pages must carry (govbadge or legacy CA code).
        #[arg(long)]
        code: SiteCode,
        /// The badge service's base URL (default: `badge.base_url` from the configuration).
        #[arg(long)]
        badge_base: Option<String>,
        /// Stop after this many URLs (also capped by `crawl.max_pages_per_site`).
        #[arg(long)]
        max_pages: Option<usize>,
        /// Print JSON Lines: one object per URL, then a summary object.
        #[arg(long)]
        json: bool,
    },
    /// Crawl and check every registered, badged site (of a region), persisting as it goes.
    Sweep {
        /// Only sites of this region (6-digit code; a city or province code covers its area).
        #[arg(long)]
        region: Option<RegionCode>,
        /// Continue the last unfinished sweep of this scope instead of starting a new one.
        #[arg(long)]
        resume: bool,
        /// Where to write the sweep's raw results (default: reports/).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Leave the crawling to `govbadge worker` processes sharing the database: list the
        /// sites for them, wait until every one is recorded, then report as usual.
        #[arg(long)]
        workers: bool,
        /// Database URL (overrides database.url).
        #[arg(long)]
        database: Option<String>,
    },
    /// Crawl the sites of sweeps started with `govbadge sweep --workers`, beside any number of
    /// other workers on this or other machines sharing the database.
    Worker {
        /// Seconds a claimed site stays this worker's without renewal: a killed worker's sites
        /// are claimed again by others this long after it died.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(3..=3600))]
        lease_seconds: u64,
        /// Exit once no running sweep has a site left to crawl, instead of waiting for the next.
        #[arg(long)]
        until_idle: bool,
        /// Database URL (overrides database.url).
        #[arg(long)]
        database: Option<String>,
    },
    /// Write the reports of a stored sweep again (default: the latest finished one).
    Report {
        /// The sweep's number (default: the latest finished one).
        #[arg(long)]
        sweep: Option<i64>,
        /// Where to write (default: reports/).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Database URL (overrides database.url).
        #[arg(long)]
        database: Option<String>,
    },
    /// Take in data from elsewhere.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Print the date N working days after DATE (the day itself is not counted).
    Deadline {
        /// The day of notice, YYYY-MM-DD.
        date: String,
        /// Working days to add.
        #[arg(long, default_value_t = 5)]
        days: u32,
    },
}

/// What `govbadge import` takes in.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// The register of existing sites (CSV or XLSX; columns in README): a dry run with a
    /// per-row report unless --apply, which writes every row or none (exit 0 done, 1 problems
    /// found, 2 usage or I/O error).
    Register {
        /// The register file (.csv or .xlsx).
        file: std::path::PathBuf,
        /// Write the rows (all or nothing); without it nothing is written.
        #[arg(long)]
        apply: bool,
        /// Print the plan (and what was written) as one JSON object.
        #[arg(long)]
        json: bool,
        /// Database URL (overrides database.url).
        #[arg(long)]
        database: Option<String>,
    },
}

/// Logs of `check` and `crawl` go to stderr only when `RUST_LOG` asks for them: their output
/// is the report.
fn init_tracing_if_asked() {
    if std::env::var_os("RUST_LOG").is_some() {
        crate::app::init_tracing();
    }
}

/// Runs one command; `Err` is a usage or I/O error (exit 2).
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Deadline { date, days } => {
            let date: chrono::NaiveDate =
                date.parse().map_err(|_| anyhow::anyhow!("date must be YYYY-MM-DD, got {date:?}"))?;
            let due = WorkingCalendar::embedded()?.add_working_days(date, days);
            println!("{}", due.date);
            if due.provisional {
                eprintln!("provisional: no official holiday data for a year in this range; weekends only were assumed");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { url, file, code, badge_base, render, screenshot, json } => {
            let mut config = Config::load(&cli.config)?;
            if render {
                config.crawl.render = crate::render::RenderMode::Always;
            }
            init_tracing_if_asked();
            let target = commands::CheckTarget { url, file, screenshot };
            run_batch(async move { commands::check(&config, target, &code, badge_base.as_deref(), json).await })
        }
        Command::Sweep { region, resume, out, workers, database } => {
            let mut config = Config::load(&cli.config)?;
            if let Some(url) = database {
                config.database.url = url;
            }
            crate::app::init_tracing();
            run_batch(commands::sweep(config, region, resume, out, workers))
        }
        Command::Worker { lease_seconds, until_idle, database } => {
            let mut config = Config::load(&cli.config)?;
            if let Some(url) = database {
                config.database.url = url;
            }
            crate::app::init_tracing();
            run_batch(commands::worker(config, std::time::Duration::from_secs(lease_seconds), until_idle))
        }
        Command::Report { sweep, out, database } => {
            let mut config = Config::load(&cli.config)?;
            if let Some(url) = database {
                config.database.url = url;
            }
            run_batch(commands::report(config, sweep, out))
        }
        Command::Import(ImportCommand::Register { file, apply, json, database }) => {
            let mut config = Config::load(&cli.config)?;
            if let Some(url) = database {
                config.database.url = url;
            }
            run_batch(async move { commands::import_register(config, &file, apply, json).await })
        }
        Command::Crawl { url, code, badge_base, max_pages, json } => {
            let config = Config::load(&cli.config)?;
            init_tracing_if_asked();
            run_batch(
                async move { commands::crawl(&config, &url, &code, badge_base.as_deref(), max_pages, json).await },
            )
        }
        Command::Serve { bind, database, demo } => {
            let mut config = Config::load(&cli.config)?;
            if let Some(bind) = bind {
                config.server.bind = bind;
            }
            if let Some(url) = database {
                config.database.url = url;
            }
            crate::app::init_tracing();
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(crate::app::serve(config, demo))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs a batch command (all but `serve`) to its end on a runtime of its own
/// ([`batch_runtime`]), as a task on the runtime's worker threads rather than on the calling
/// thread (`block_on`). A crawl's pages are tasks, and the loop that spawns them and takes
/// their results is the command's own future: on the calling thread, every page's completion
/// woke that thread, and every page it spawned from outside the runtime woke a worker (about
/// two futex calls and context switches per page). On a worker, both stay in its queues.
fn run_batch<T: Send + 'static>(
    command: impl std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
) -> anyhow::Result<T> {
    batch_runtime()?.block_on(async move {
        match tokio::spawn(command).await {
            Ok(result) => result,
            Err(e) => match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(e) => Err(e.into()),
            },
        }
    })
}

/// The runtime of a command that runs to its end (all but `serve`): every thread of it, and the
/// calling one, on jemalloc's first arena (`memory::share_one_arena`).
fn batch_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    crate::memory::share_one_arena();
    tokio::runtime::Builder::new_multi_thread().enable_all().on_thread_start(crate::memory::share_one_arena).build()
}
