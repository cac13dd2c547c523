//! The command line: `serve` and `deadline` (more subcommands come with the checker).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "govbadge", version, about = "党政机关网站标识管理：申请审核、标识发放、合规检查")]
pub struct Cli {
    /// Configuration file.
    #[arg(long, global = true, default_value = "config.toml", env = "GOVBADGE_CONFIG")]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the application and approval service.
    Serve {
        /// Address and port to listen on (overrides server.bind).
        #[arg(long)]
        bind: Option<String>,
        /// Database URL (overrides database.url), e.g. sqlite://var/govbadge.db.
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
        /// The badge code the page must carry.
        #[arg(long)]
        code: String,
        /// The badge service's base URL (default: badge.base_url from the configuration).
        #[arg(long)]
        badge_base: Option<String>,
        /// Print one JSON object instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Crawl one site from URL and check every page for the badge of CODE.
    Crawl {
        url: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        badge_base: Option<String>,
        /// Stop after this many URLs (also capped by crawl.max_pages_per_site).
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
        region: Option<String>,
        /// Continue the last unfinished sweep of this scope instead of starting a new one.
        #[arg(long)]
        resume: bool,
        /// Where to write the sweep's raw results (default: reports/).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Database URL (overrides database.url).
        #[arg(long)]
        database: Option<String>,
    },
    /// Write the reports of a stored sweep again (default: the latest finished one).
    Report {
        #[arg(long)]
        sweep: Option<i64>,
        /// Where to write (default: reports/).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Database URL (overrides database.url).
        #[arg(long)]
        database: Option<String>,
    },
    /// Print the date N working days after DATE (the day itself is not counted).
    Deadline {
        /// The day of notice, YYYY-MM-DD.
        date: String,
        /// Working days to add.
        #[arg(long, default_value_t = 5)]
        days: u32,
    },
}
