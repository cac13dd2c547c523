//! The `govbadge` binary: parse the command line, set up logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use govbadge::cli::{run, Cli};

#[global_allocator]
static ALLOCATOR: govbadge::memory::Allocator = govbadge::memory::Allocator {};

fn main() -> ExitCode {
    govbadge::memory::limit_glibc_arenas();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("govbadge: {error:#}");
            ExitCode::from(2)
        }
    }
}
