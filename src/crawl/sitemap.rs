//! sitemap.xml: URL sets and sitemap indexes, plain or gzip-compressed, read as loose XML (the
//! `<loc>` elements) while they stream in. Reading stops at the protocol's limits (50,000 URLs,
//! 50 MB uncompressed per file) or as soon as the caller has the URLs it can use, so a hostile
//! sitemap costs neither memory nor time beyond what the site's page cap needs.

use std::io::Write;

/// The sitemap protocol's limits for one file.
pub const MAX_URLS_PER_FILE: usize = 50_000;
/// The most bytes read of one sitemap file (the sitemaps.org limit), after decompression.
pub const MAX_BYTES_PER_FILE: usize = 50 * 1024 * 1024;

/// A `<loc>` longer than this is skipped (no crawler follows such URLs).
const MAX_LOC_BYTES: usize = 4096;

/// What a sitemap lists.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sitemap {
    /// Page URLs found, in order, up to the cap.
    pub pages: Vec<String>,
    /// Further sitemaps, from a sitemap index.
    pub sitemaps: Vec<String>,
}

/// Parses a whole sitemap body (gzip detected by its magic bytes), reading at most `cap`
/// decompressed bytes.
pub fn parse(body: &[u8], cap: usize) -> Sitemap {
    let mut reader = SitemapReader::new(MAX_URLS_PER_FILE, cap);
    reader.feed(body);
    reader.finish()
}

/// Reads a sitemap chunk by chunk.
pub struct SitemapReader {
    state: State,
}

enum State {
    /// The first bytes, until it is known whether they are gzip.
    Undecided(Vec<u8>, Locs),
    Plain(Locs),
    Gzip(Box<flate2::write::GzDecoder<Locs>>),
    Done(Locs),
}

impl SitemapReader {
    /// Keeps at most `max_urls` locations and reads at most `max_bytes` of (decompressed) XML.
    pub fn new(max_urls: usize, max_bytes: usize) -> Self {
        let locs = Locs {
            buf: Vec::new(),
            locs: Vec::new(),
            max_urls: max_urls.min(MAX_URLS_PER_FILE),
            max_bytes: max_bytes.min(MAX_BYTES_PER_FILE),
            read: 0,
            is_index: false,
        };
        Self { state: State::Undecided(Vec::new(), locs) }
    }

    /// Takes the next chunk of the body; false once it wants no more.
    pub fn feed(&mut self, chunk: &[u8]) -> bool {
        let state = std::mem::replace(&mut self.state, State::Done(Locs::empty()));
        self.state = match state {
            State::Undecided(mut head, locs) => {
                head.extend_from_slice(chunk);
                if head.len() < 2 {
                    State::Undecided(head, locs)
                } else if head.starts_with(&[0x1f, 0x8b]) {
                    let mut decoder = Box::new(flate2::write::GzDecoder::new(locs));
                    match decoder.write_all(&head) {
                        Ok(()) => State::Gzip(decoder),
                        Err(_) => State::Done(decoder_output(*decoder)),
                    }
                } else {
                    let mut locs = locs;
                    match locs.write_all(&head) {
                        Ok(()) => State::Plain(locs),
                        Err(_) => State::Done(locs),
                    }
                }
            }
            State::Plain(mut locs) => match locs.write_all(chunk) {
                Ok(()) => State::Plain(locs),
                Err(_) => State::Done(locs),
            },
            State::Gzip(mut decoder) => match decoder.write_all(chunk) {
                Ok(()) => State::Gzip(decoder),
                Err(_) => State::Done(decoder_output(*decoder)),
            },
            done @ State::Done(_) => done,
        };
        !matches!(self.state, State::Done(_))
    }

    /// What was read.
    pub fn finish(self) -> Sitemap {
        let mut locs = match self.state {
            State::Undecided(head, mut locs) => {
                let _ = locs.write_all(&head);
                locs
            }
            State::Plain(locs) | State::Done(locs) => locs,
            State::Gzip(mut decoder) => {
                let _ = decoder.try_finish();
                decoder_output(*decoder)
            }
        };
        locs.scan(true);
        if locs.is_index {
            Sitemap { pages: Vec::new(), sitemaps: locs.locs }
        } else {
            Sitemap { pages: locs.locs, sitemaps: Vec::new() }
        }
    }
}

/// What a decoder decoded so far (its trailer need not have arrived).
fn decoder_output(mut decoder: flate2::write::GzDecoder<Locs>) -> Locs {
    std::mem::replace(decoder.get_mut(), Locs::empty())
}

/// Collects `<loc>` values from XML written to it; refuses further writes once full.
struct Locs {
    buf: Vec<u8>,
    locs: Vec<String>,
    max_urls: usize,
    max_bytes: usize,
    read: usize,
    is_index: bool,
}

impl Locs {
    fn empty() -> Self {
        Self { buf: Vec::new(), locs: Vec::new(), max_urls: 0, max_bytes: 0, read: 0, is_index: false }
    }

    fn full(&self) -> bool {
        self.locs.len() >= self.max_urls || self.read >= self.max_bytes
    }

    /// Takes the complete `<loc>` elements out of the buffer, keeping only a tail that may
    /// begin the next one.
    fn scan(&mut self, at_end: bool) {
        if !self.is_index && memchr::memmem::find(&self.buf, b"<sitemapindex").is_some() {
            self.is_index = true;
        }
        let mut pos = 0;
        while self.locs.len() < self.max_urls {
            let Some(start) = memchr::memmem::find(&self.buf[pos..], b"<loc>").map(|o| pos + o + 5) else {
                break;
            };
            match memchr::memmem::find(&self.buf[start..], b"</loc>") {
                Some(len) => {
                    let raw = String::from_utf8_lossy(&self.buf[start..start + len]);
                    let loc = raw.trim().replace("&amp;", "&");
                    if !loc.is_empty() && loc.len() <= MAX_LOC_BYTES {
                        self.locs.push(loc);
                    }
                    pos = start + len + 6;
                }
                None if self.buf.len() - start > MAX_LOC_BYTES || at_end => {
                    // An overlong or unterminated location: skipped.
                    pos = self.buf.len();
                    break;
                }
                None => {
                    pos = start - 5;
                    self.buf.drain(..pos);
                    return;
                }
            }
        }
        // Keep a tail that may hold the start of `<loc>` or `<sitemapindex`.
        let keep = 16.min(self.buf.len() - pos.min(self.buf.len()));
        let from = self.buf.len() - keep;
        self.buf.drain(..from);
    }
}

impl Write for Locs {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.full() {
            return Err(std::io::Error::other("sitemap limit reached"));
        }
        let take = data.len().min(self.max_bytes - self.read);
        self.read += take;
        self.buf.extend_from_slice(&data[..take]);
        self.scan(false);
        Ok(take)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn urlsets_indexes_and_gzip() {
        let set = "<urlset><url><loc> https://a.gov.cn/1.html </loc></url><url><loc>https://a.gov.cn/?a=1&amp;b=2</loc></url></urlset>";
        assert_eq!(parse(set.as_bytes(), 1 << 20).pages, ["https://a.gov.cn/1.html", "https://a.gov.cn/?a=1&b=2"]);
        let index = "<sitemapindex><sitemap><loc>https://a.gov.cn/s1.xml.gz</loc></sitemap></sitemapindex>";
        assert_eq!(parse(index.as_bytes(), 1 << 20).sitemaps, ["https://a.gov.cn/s1.xml.gz"]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(set.as_bytes()).unwrap();
        assert_eq!(parse(&gz.finish().unwrap(), 1 << 20).pages.len(), 2);
    }

    #[test]
    fn chunks_split_anywhere_read_the_same() {
        let mut set = String::from("<?xml version=\"1.0\"?><urlset>");
        for i in 0..500 {
            set.push_str(&format!("<url><loc>https://a.gov.cn/{i}.html</loc></url>"));
        }
        set.push_str("</urlset>");
        let whole = parse(set.as_bytes(), 1 << 20);
        for size in [1, 2, 3, 7, 64, 1000] {
            let mut reader = SitemapReader::new(MAX_URLS_PER_FILE, 1 << 20);
            for chunk in set.as_bytes().chunks(size) {
                assert!(reader.feed(chunk));
            }
            assert_eq!(reader.finish(), whole, "chunks of {size}");
        }
        assert_eq!(whole.pages.len(), 500);
    }

    #[test]
    fn stops_at_the_url_cap_and_the_byte_cap() {
        let entry = "<url><loc>https://a.gov.cn/page.html</loc></url>";
        let mut reader = SitemapReader::new(10, 1 << 20);
        let mut fed = 0;
        while reader.feed(entry.as_bytes()) {
            fed += 1;
            assert!(fed < 100, "a full reader asks for no more");
        }
        assert_eq!(reader.finish().pages.len(), 10);

        let mut reader = SitemapReader::new(1000, 1000);
        let mut fed = 0;
        while reader.feed(entry.as_bytes()) {
            fed += 1;
            assert!(fed < 100);
        }
        assert!(reader.finish().pages.len() <= 1000 / entry.len() + 1);
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_byte_cap() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(b"<urlset>").unwrap();
        for _ in 0..(64 * 1024) {
            gz.write_all(&[b' '; 1024]).unwrap();
        }
        let bomb = gz.finish().unwrap();
        let mut reader = SitemapReader::new(1000, 1 << 20);
        let wanted_more = bomb.chunks(8192).all(|c| reader.feed(c));
        assert!(!wanted_more, "64 MiB of blanks stop the reader at 1 MiB");
        assert!(reader.finish().pages.is_empty());
    }

    #[test]
    fn overlong_and_unterminated_locations_are_skipped() {
        let long = "x".repeat(MAX_LOC_BYTES + 10);
        let text = format!("<urlset><loc>{long}</loc><loc>https://a.gov.cn/ok</loc><loc>https://a.gov.cn/cut");
        assert_eq!(parse(text.as_bytes(), 1 << 20).pages, ["https://a.gov.cn/ok"]);
    }
}
