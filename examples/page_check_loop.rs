//! The page check over the real-page mix, a given number of passes, printing its rate: a
//! fixed amount of work for `bench/page_check_instructions.sh` to count instructions and
//! mispredicted branches of under cachegrind. On a shared machine whose speed swings by a
//! fifth between runs, those counts tell two builds apart where timings cannot.
//! Usage: `cargo run --release --example page_check_loop -- [passes]`

use govbadge::check::{check, PageInput};
use url::Url;

fn main() {
    let passes: usize = std::env::args().nth(1).and_then(|arg| arg.parse().ok()).unwrap_or(1000);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real-pages");
    let mut pages: Vec<(std::path::PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("the real-page fixtures")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let page = std::fs::read(&path).ok()?;
            (path.extension()? == "html").then_some((path, page))
        })
        .collect();
    pages.sort();
    let badge_base = Url::parse("https://bs.example.gov.cn").expect("static URL");
    let page_url = Url::parse("https://www.example.gov.cn/").expect("static URL");
    let bytes: usize = pages.iter().map(|(_, page)| page.len()).sum();
    let start = std::time::Instant::now();
    for _ in 0..passes {
        for (_, page) in &pages {
            std::hint::black_box(check(&PageInput {
                bytes: page,
                content_type: Some("text/html"),
                page_url: Some(&page_url),
                expected_code: "4109220000016",
                legacy: None,
                badge_base: &badge_base,
            }));
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{} pages, {bytes} bytes, {passes} passes: {:.1} MiB/s",
        pages.len(),
        (bytes * passes) as f64 / seconds / 1048576.0
    );
}
