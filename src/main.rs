//! The `govbadge` binary: parse the command line, set up logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use govbadge::cli::{Cli, Command};
use govbadge::config::Config;
use govbadge::domain::calendar::WorkingCalendar;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("govbadge: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
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
        Command::Check { url, file, code, badge_base, json } => {
            let config = Config::load(&cli.config)?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(govbadge::check_cli::check(&config, url, file, &code, badge_base.as_deref(), json))
        }
        Command::Sweep { region, resume, out, database } => {
            let mut config = Config::load(&cli.config)?;
            if let Some(url) = database {
                config.database.url = url;
            }
            govbadge::startup::init_tracing();
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(govbadge::check_cli::sweep(config, region, resume, out))
        }
        Command::Report { sweep, out, database } => {
            let mut config = Config::load(&cli.config)?;
            if let Some(url) = database {
                config.database.url = url;
            }
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(govbadge::check_cli::report(config, sweep, out))
        }
        Command::Crawl { url, code, badge_base, max_pages, json } => {
            let config = Config::load(&cli.config)?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(govbadge::check_cli::crawl(&config, &url, &code, badge_base.as_deref(), max_pages, json))
        }
        Command::Serve { bind, database, demo } => {
            let mut config = Config::load(&cli.config)?;
            if let Some(bind) = bind {
                config.server.bind = bind;
            }
            if let Some(url) = database {
                config.database.url = url;
            }
            govbadge::startup::init_tracing();
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(govbadge::startup::serve(config, demo))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
