//! A site's page results on their way to the database. A site is recorded in one transaction
//! when its crawl ends (so a sweep stopped at any moment leaves no half-written site); until
//! then its pages wait here, in an anonymous temporary file, not in memory: each page's
//! columns in order, every value tagged present or absent and texts prefixed by their length.
//! (With a JSON line per page, the spool took 3.6 % of a sweep's CPU; with this, 2.6 %:
//! BENCHMARKS.md §3.)
//! A sweep crawls dozens of sites at once, of up to a thousand pages each: held in memory,
//! their results were the part of a sweep's memory that rose and fell with the sites
//! (BENCHMARKS.md §3). What the site's row says of its pages ([`PagesSummary`]) is gathered as
//! they pass, and the rare screenshots stay in memory.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};

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
            self.failed = write_page(&mut self.file, &PageColumns::of(record)).err();
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
            chunks: Chunks { file: BufReader::new(file) },
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
    file: BufReader<File>,
}

impl Iterator for Chunks {
    type Item = Result<Vec<PageColumns>, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut chunk = Vec::with_capacity(PAGES_PER_CHUNK);
        while chunk.len() < PAGES_PER_CHUNK {
            match read_page(&mut self.file) {
                Ok(Some(page)) => chunk.push(page),
                Ok(None) => break,
                Err(e) => return Some(Err(StoreError::Corrupt(format!("a spooled page: {e}")))),
            }
        }
        (!chunk.is_empty()).then_some(Ok(chunk))
    }
}

/// The longest text a spooled value may have: longer, the file is corrupt (a page's longest
/// value, its rendered check's detail, is a few kilobytes).
const MAX_TEXT: u64 = 64 * 1024 * 1024;

fn write_page(out: &mut impl Write, page: &PageColumns) -> io::Result<()> {
    write_text(out, Some(&page.url))?;
    match page.http_status {
        Some(status) => {
            out.write_all(&[1])?;
            out.write_all(&status.to_le_bytes())?;
        }
        None => out.write_all(&[0])?,
    }
    write_text(out, Some(&page.outcome))?;
    write_text(out, page.verdict.as_deref())?;
    write_text(out, Some(&page.warnings))?;
    let rest =
        [&page.title, &page.encoding, &page.footer, &page.certificate_problem, &page.rendered, &page.rendered_detail];
    for text in rest {
        write_text(out, text.as_deref())?;
    }
    Ok(())
}

fn write_text(out: &mut impl Write, text: Option<&str>) -> io::Result<()> {
    match text {
        Some(text) => {
            out.write_all(&[1])?;
            out.write_all(&(text.len() as u64).to_le_bytes())?;
            out.write_all(text.as_bytes())
        }
        None => out.write_all(&[0]),
    }
}

/// The next page, or `None` at the end of the file.
fn read_page(input: &mut impl BufRead) -> io::Result<Option<PageColumns>> {
    if input.fill_buf()?.is_empty() {
        return Ok(None);
    }
    let required = |text: Option<String>| text.ok_or_else(|| io::Error::other("a required value is missing"));
    let url = required(read_text(input)?)?;
    let http_status = present(input)?.then(|| read_array(input).map(i64::from_le_bytes)).transpose()?;
    Ok(Some(PageColumns {
        url,
        http_status,
        outcome: required(read_text(input)?)?,
        verdict: read_text(input)?,
        warnings: required(read_text(input)?)?,
        title: read_text(input)?,
        encoding: read_text(input)?,
        footer: read_text(input)?,
        certificate_problem: read_text(input)?,
        rendered: read_text(input)?,
        rendered_detail: read_text(input)?,
    }))
}

fn present(input: &mut impl Read) -> io::Result<bool> {
    match read_array::<1>(input)? {
        [0] => Ok(false),
        [1] => Ok(true),
        [tag] => Err(io::Error::other(format!("unknown tag {tag}"))),
    }
}

fn read_array<const N: usize>(input: &mut impl Read) -> io::Result<[u8; N]> {
    let mut bytes = [0; N];
    input.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn read_text(input: &mut impl Read) -> io::Result<Option<String>> {
    if !present(input)? {
        return Ok(None);
    }
    let len = u64::from_le_bytes(read_array(input)?);
    if len > MAX_TEXT {
        return Err(io::Error::other(format!("a text of {len} bytes")));
    }
    let mut bytes = Vec::new();
    input.take(len).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != len {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    String::from_utf8(bytes).map(Some).map_err(io::Error::other)
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

    fn full_and_empty() -> [PageColumns; 2] {
        let full = PageColumns {
            url: "https://濮阳市编办.政务/a?b=\"c\"\n".into(),
            http_status: Some(-1),
            outcome: "ok".into(),
            verdict: Some(String::new()),
            warnings: "not_at_bottom,duplicate".into(),
            title: Some("首页\r\n\u{0}".into()),
            encoding: Some("GBK".into()),
            footer: Some(r#"{"icp":"京ICP备05070218号"}"#.into()),
            certificate_problem: Some("expired".into()),
            rendered: Some("compliant".into()),
            rendered_detail: Some("{}".into()),
        };
        let empty = PageColumns {
            url: String::new(),
            http_status: None,
            outcome: "timeout".into(),
            verdict: None,
            warnings: String::new(),
            title: None,
            encoding: None,
            footer: None,
            certificate_problem: None,
            rendered: None,
            rendered_detail: None,
        };
        [full, empty]
    }

    #[test]
    fn every_column_comes_back_present_or_absent() {
        let pages = full_and_empty();
        let mut bytes = Vec::new();
        for page in &pages {
            write_page(&mut bytes, page).unwrap();
        }
        let mut input = bytes.as_slice();
        assert_eq!(read_page(&mut input).unwrap().as_ref(), Some(&pages[0]));
        assert_eq!(read_page(&mut input).unwrap().as_ref(), Some(&pages[1]));
        assert_eq!(read_page(&mut input).unwrap(), None);
    }

    #[test]
    fn a_spool_cut_short_or_garbled_is_an_error_not_a_page() {
        let mut bytes = Vec::new();
        write_page(&mut bytes, &full_and_empty()[0]).unwrap();
        for cut in 1..bytes.len() {
            assert!(read_page(&mut &bytes[..cut]).is_err(), "cut at {cut} of {}", bytes.len());
        }
        let mut garbled = bytes.clone();
        garbled[0] = 7;
        assert!(read_page(&mut garbled.as_slice()).is_err());
        // A length no page has is refused before anything is allocated for it.
        let mut huge = vec![1];
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(read_page(&mut huge.as_slice()).is_err());
    }
}
