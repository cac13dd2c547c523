//! The `govbadge` binary: parse the command line, set up logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use govbadge::cli::{run, Cli};

// jemalloc, unless built for a heap profiler that intercepts the system allocator (heaptrack):
// `cargo build --release --features system-allocator`.
#[cfg(not(feature = "system-allocator"))]
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
