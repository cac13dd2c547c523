//! A site's page results on their way to the database. A site is recorded in one transaction
//! when its crawl ends (so a sweep stopped at any moment leaves no half-written site); until
//! then its pages wait here, one JSON line each in an anonymous temporary file, not in memory.
//! A sweep crawls dozens of sites at once, of up to a thousand pages each: held in memory,
//! their results were the part of a sweep's memory that rose and fell with the sites
//! (BENCHMARKS.md §3). What the site's row says of its pages ([`PagesSummary`]) is gathered as
//! they pass, and the rare screenshots stay in memory.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, Write};

use crate::crawl::PageResult;
use crate::store::sweeps::{PageColumns, PageRecord, PagesSummary};
use crate::store::StoreError;

/// Pages read back per chunk (the store splits a chunk further if its statements take fewer).
const PAGES_PER_CHUNK: usize = 64;

/// The pages of one site, spooled.
pub struct PageSpool {
    file: BufWriter<File>,
    summary: PagesSummary,
    screenshots: Vec<(String, Vec<u8>)>,
    /// The first write that failed: the site cannot be recorded, and says so when asked to be.
    failed: Option<std::io::Error>,
}

impl PageSpool {
    /// An empty spool, in a temporary file that is gone when the spool is.
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            file: BufWriter::new(tempfile::tempfile()?),
            summary: PagesSummary::default(),
            screenshots: Vec::new(),
            failed: None,
        })
    }

    /// Adds a page, given as the store keeps it ([`PageRecord`]) with its screenshot, if any.
    pub fn add(&mut self, record: &PageRecord<'_>) {
        self.summary.add(record);
        if let Some(png) = record.rendered.and_then(|c| c.screenshot.as_ref()) {
            self.screenshots.push((record.url.to_owned(), png.clone()));
        }
        if self.failed.is_none() {
            let written = serde_json::to_writer(&mut self.file, &PageColumns::of(record))
                .map_err(std::io::Error::from)
                .and_then(|()| self.file.write_all(b"\n"));
            self.failed = written.err();
        }
    }

    /// Adds a crawled page.
    pub fn add_result(&mut self, result: &PageResult) {
        self.add(&super::sweep::page_record(result));
    }

    /// The spooled pages, read back in order: what they add up to, their screenshots, and the
    /// pages in chunks.
    pub fn finish(self) -> std::io::Result<SpooledPages> {
        if let Some(failed) = self.failed {
            return Err(failed);
        }
        let mut file = self.file.into_inner().map_err(std::io::IntoInnerError::into_error)?;
        file.rewind()?;
        Ok(SpooledPages {
            summary: self.summary,
            screenshots: self.screenshots,
            chunks: Chunks { lines: BufReader::new(file).lines() },
        })
    }
}

/// Pages read back from a [`PageSpool`].
pub struct SpooledPages {
    /// What the pages add up to.
    pub summary: PagesSummary,
    /// Screenshots by page URL.
    pub screenshots: Vec<(String, Vec<u8>)>,
    /// The pages, `PAGES_PER_CHUNK` at a time.
    pub chunks: Chunks,
}

/// The pages of a spool, a chunk at a time.
pub struct Chunks {
    lines: std::io::Lines<BufReader<File>>,
}

impl Iterator for Chunks {
    type Item = Result<Vec<PageColumns>, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut chunk = Vec::with_capacity(PAGES_PER_CHUNK);
        for line in self.lines.by_ref().take(PAGES_PER_CHUNK) {
            let page = line
                .map_err(|e| e.to_string())
                .and_then(|line| serde_json::from_str(&line).map_err(|e| e.to_string()))
                .map_err(|e| StoreError::Corrupt(format!("a spooled page: {e}")));
            match page {
                Ok(page) => chunk.push(page),
                Err(e) => return Some(Err(e)),
            }
        }
        (!chunk.is_empty()).then_some(Ok(chunk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::footer::Footer;
    use crate::check::{Verdict, Warning};

    fn record<'a>(url: &'a str, verdict: Option<Verdict>, footer: Option<&'a Footer>) -> PageRecord<'a> {
        PageRecord {
            url,
            http_status: Some(200),
            outcome: if verdict.is_some() { "ok" } else { "timeout" },
            verdict,
            warnings: &[Warning::NotAtBottom],
            title: Some("首页 \"引号\"\n换行"),
            encoding: Some("GBK"),
            footer,
            certificate_problem: None,
            rendered: None,
        }
    }

    /// What is read back equals the pages as they were given, in order and in chunks, and the
    /// summary equals one gathered from the pages in memory.
    #[test]
    fn pages_come_back_as_they_went_in() {
        let footer = Footer { icp: Some("京ICP备05070218号".into()), ..Footer::default() };
        let urls: Vec<String> = (0..150).map(|i| format!("https://www.example.gov.cn/{i}.html")).collect();
        let records: Vec<PageRecord<'_>> = urls
            .iter()
            .enumerate()
            .map(|(i, url)| match i % 3 {
                0 => record(url, Some(Verdict::Compliant), None),
                1 => record(url, Some(Verdict::Missing), Some(&footer)),
                _ => record(url, None, None),
            })
            .collect();
        let mut spool = PageSpool::new().unwrap();
        let mut summary = PagesSummary::default();
        for r in &records {
            spool.add(r);
            summary.add(r);
        }
        let spooled = spool.finish().unwrap();
        assert_eq!(spooled.summary, summary);
        assert!(spooled.screenshots.is_empty());
        let chunks: Vec<Vec<PageColumns>> = spooled.chunks.map(Result::unwrap).collect();
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), [64, 64, 22]);
        let expected: Vec<PageColumns> = records.iter().map(PageColumns::of).collect();
        assert_eq!(chunks.concat(), expected);
    }

    #[test]
    fn an_empty_spool_has_no_chunks() {
        let spooled = PageSpool::new().unwrap().finish().unwrap();
        assert_eq!(spooled.chunks.count(), 0);
        assert_eq!(spooled.summary, PagesSummary::default());
    }
}
