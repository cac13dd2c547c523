//! The `govbadge` binary: parse the command line, set up logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use govbadge::cli::{run, Cli};

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
