//! The page check's throughput over a mix of real government pages and a 5 MB page, in bytes
//! per second, beside parsing the same pages into a DOM with scraper (what a DOM-based checker
//! does first). Run with `cargo bench --bench page_check`, or `bench/page_check.sh`, which adds
//! `grep -c` over the same bytes (written to `target/bench/`) and prints the ratios.

// criterion's macros define public functions without docs.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use govbadge::check::{check, PageInput, Verdict};
use url::Url;

const CODE: &str = "4109220000016";
const SNIPPET: &str = "<a href=\"https://bs.example.gov.cn/verify/4109220000016\"><img src=\"https://bs.example.gov.cn/badge/4109220000016.svg\"></a>";

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real-pages");
    let mut pages: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "html")
                .then(|| (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&path).unwrap()))
        })
        .collect();
    pages.sort();
    pages
}

/// A 5 MB page: real body markup repeated, the badge just before `</body>`.
fn big_page(corpus: &[(String, Vec<u8>)]) -> Vec<u8> {
    let home = &corpus.iter().find(|(n, _)| n.starts_with("10")).unwrap().1;
    let text = String::from_utf8_lossy(home);
    let body_start = text.find("<body").unwrap_or(0);
    let body_end = text.rfind("</body>").unwrap_or(text.len());
    let mut page = String::from(&text[..body_start]);
    page.push_str("<body>");
    while page.len() < 5 * 1024 * 1024 {
        page.push_str(&text[body_start..body_end]);
    }
    page.push_str(SNIPPET);
    page.push_str("</body></html>");
    page.into_bytes()
}

fn bench(c: &mut Criterion) {
    let base = Url::parse("https://bs.example.gov.cn").unwrap();
    let page_url = Url::parse("https://www.example.gov.cn/").unwrap();
    let corpus = corpus();
    let big = big_page(&corpus);
    let run = |bytes: &[u8]| {
        check(&PageInput {
            bytes,
            content_type: Some("text/html"),
            page_url: Some(&page_url),
            expected_code: CODE,
            legacy: None,
            badge_base: &base,
        })
    };
    assert_eq!(run(&big).verdict, Verdict::Compliant);

    let mix: Vec<u8> = corpus.iter().flat_map(|(_, b)| b.iter().copied()).collect();
    let dump = concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench");
    std::fs::create_dir_all(dump).unwrap();
    std::fs::write(format!("{dump}/page-mix.html"), &mix).unwrap();
    std::fs::write(format!("{dump}/page-5mb.html"), &big).unwrap();

    let mut group = c.benchmark_group("page_check");
    group.throughput(Throughput::Bytes(mix.len() as u64));
    group.bench_function("corpus_mix_11_pages", |b| {
        b.iter(|| {
            for (_, page) in &corpus {
                std::hint::black_box(run(page));
            }
        });
    });
    group.throughput(Throughput::Bytes(big.len() as u64));
    group.sample_size(20);
    group.bench_with_input(BenchmarkId::new("large_page", "5MB"), &big, |b, page| {
        b.iter(|| std::hint::black_box(run(page)));
    });
    group.finish();

    // The same bytes decoded (charset as the check reads it) and parsed into a DOM.
    let dom = |bytes: &[u8]| {
        let detected = govbadge::check::charset::detect(bytes, Some("text/html"), Some("cn"));
        let text = detected.encoding.decode_without_bom_handling(bytes).0;
        scraper::Html::parse_document(&text)
    };
    let mut group = c.benchmark_group("dom_parse_scraper");
    group.throughput(Throughput::Bytes(mix.len() as u64));
    group.bench_function("corpus_mix_11_pages", |b| {
        b.iter(|| {
            for (_, page) in &corpus {
                std::hint::black_box(dom(page));
            }
        });
    });
    group.throughput(Throughput::Bytes(big.len() as u64));
    group.sample_size(10);
    group.bench_with_input(BenchmarkId::new("large_page", "5MB"), &big, |b, page| {
        b.iter(|| std::hint::black_box(dom(page)));
    });
    group.finish();
}

/// Hostile pages of about 10 MiB each: every path of the check must stay linear in the page.
pub fn adversarial_pages() -> Vec<(&'static str, Vec<u8>)> {
    const SIZE: usize = 10 * 1024 * 1024;
    let repeat = |unit: &str, prefix: &str, suffix: &str| {
        let mut page = String::from(prefix);
        while page.len() < SIZE {
            page.push_str(unit);
        }
        page.push_str(suffix);
        page.into_bytes()
    };
    let half = |unit: &str| unit.repeat(SIZE / 2 / unit.len());
    vec![
        ("title_ampersands", repeat("&", "<title>", "</title>")),
        ("stray_body_ends", format!("{}{}", half("<p>"), half("</body>")).into_bytes()),
        ("deep_nesting", repeat("<div>", "<body>", "</body>")),
        ("less_than_signs", repeat("<", "", "")),
        ("huge_attribute", repeat("a", "<body><a href=\"", "\">x</a></body>")),
        ("many_attributes", repeat(" a0 b1 c2 d3", "<body><div", ">x</div></body>")),
        ("nested_comment_openers", repeat("<!--", "<!-- ", " -->")),
        // More names open at once than the open-element counts have table slots for, then
        // end tags of other names: each asks the counts' map, none walks the stack.
        ("many_names_open", {
            let mut page: String = (0..600).map(|n| format!("<x{n}>")).collect();
            let mut n: u64 = 0;
            while page.len() < SIZE {
                page.push_str(&format!("</y{}>", n % 100_000));
                n += 1;
            }
            page.into_bytes()
        }),
        // End tags of a name whose count shares its table slot with the open `div`s: the slot
        // tells them apart by key, so none walks the 512-deep stack.
        ("end_tags_sharing_a_slot", format!("{}{}", "<div>".repeat(512), half("</acp>")).into_bytes()),
        ("badge_links_distinct_codes", {
            let mut page = String::from("<body>");
            let mut n: u64 = 0;
            while page.len() < SIZE {
                page.push_str(&format!("<a href=\"https://bs.example.gov.cn/verify/{n:013}\">x</a>"));
                n += 1;
            }
            page.into_bytes()
        }),
    ]
}

fn adversarial(c: &mut Criterion) {
    let base = Url::parse("https://bs.example.gov.cn").unwrap();
    let page_url = Url::parse("https://www.example.gov.cn/").unwrap();
    let mut group = c.benchmark_group("page_check_adversarial");
    group.sample_size(10);
    for (name, page) in adversarial_pages() {
        group.throughput(Throughput::Bytes(page.len() as u64));
        group.bench_with_input(BenchmarkId::new(name, "10MiB"), &page, |b, page| {
            b.iter(|| {
                std::hint::black_box(check(&PageInput {
                    bytes: page,
                    content_type: Some("text/html; charset=utf-8"),
                    page_url: Some(&page_url),
                    expected_code: CODE,
                    legacy: None,
                    badge_base: &base,
                }))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench, adversarial);
criterion_main!(benches);
