//! `report.xlsx`: the three sheets of the CSV files in one workbook, with frozen header rows,
//! filters, column widths and the status cells coloured. The sheets are written in constant
//! memory mode (rows go to temporary files as they come), so a sweep of any size fits; pages
//! past a sheet's 1,048,576 rows go on in continuation sheets (页面（2）, 页面（3）…). The
//! pages sheets are filled, and the workbook compressed and saved, on a thread of its own
//! ([`XlsxOnThread`]) while the caller writes the other reports.

use std::path::PathBuf;
use std::sync::mpsc;

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet};

use super::rows::{PAGE_COLUMNS, SITE_COLUMNS, SUMMARY_COLUMNS};
use super::ReportError;
use crate::domain::site_status::SiteStatus;

fn status_format(status: SiteStatus) -> Format {
    Format::new().set_background_color(Color::RGB(super::charts::status_fill(status)))
}

fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xB4161B))
        .set_font_color(Color::White)
        .set_border(FormatBorder::Thin)
}

/// Adds a sheet with its header row, widths and frozen header.
fn add_sheet<'b>(
    book: &'b mut Workbook,
    name: &str,
    columns: &[(&str, &str)],
    widths: &[f64],
) -> Result<&'b mut Worksheet, ReportError> {
    let sheet = book.add_worksheet_with_constant_memory()?.set_name(name)?;
    let header = header_format();
    for c in 0..columns.len() {
        sheet.set_column_width(c as u16, widths.get(c).copied().unwrap_or(14.0))?;
    }
    for (c, (_, zh)) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *zh, &header)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(sheet)
}

/// Rows of a sheet in the XLSX format, its header row included: Excel's limit, which
/// `rust_xlsxwriter` enforces by refusing the row after it.
const SHEET_ROWS: u32 = 1_048_576;

/// The pages sheets' column widths.
const PAGE_WIDTHS: [f64; 9] = [16.0, 50.0, 10.0, 12.0, 14.0, 16.0, 20.0, 36.0, 10.0];

/// A workbook being written: the sites sheet at once, the pages sheets row by row, the summary
/// sheet at the end.
pub struct XlsxReport {
    book: Workbook,
    /// Page rows a pages sheet takes below its header before the next one starts.
    rows_per_sheet: u32,
    /// Pages sheets so far: the workbook's second sheet (index 1) and those after it. All but
    /// the last are full.
    sheets: usize,
    /// Page rows in the last pages sheet.
    rows: u32,
}

impl XlsxReport {
    /// A workbook with the sites sheet written and the pages sheet open for rows.
    pub fn new(sites: &[Vec<String>], statuses: &[SiteStatus]) -> Result<Self, ReportError> {
        Self::with_rows_per_sheet(sites, statuses, SHEET_ROWS - 1)
    }

    /// As [`XlsxReport::new`], with at most `rows_per_sheet` page rows in a pages sheet (tests
    /// use a few to see continuation sheets without a million rows).
    pub fn with_rows_per_sheet(
        sites: &[Vec<String>],
        statuses: &[SiteStatus],
        rows_per_sheet: u32,
    ) -> Result<Self, ReportError> {
        let mut book = Workbook::new();
        // Deflate level 2, the zip crate's zlib-rs at its fast strategy (level 3 is already
        // its medium one): a sweep's pages sheet compresses in about a fifth of the time of
        // the default level 6, for a file about a sixth larger (BENCHMARKS.md §3).
        book.set_zip_compression_level(2);
        let widths = [16.0, 24.0, 12.0, 10.0, 10.0, 24.0, 30.0, 12.0, 12.0];
        let sheet = add_sheet(&mut book, "站点", &SITE_COLUMNS, &widths)?;
        let status_col = SITE_COLUMNS.iter().position(|(k, _)| *k == "status").unwrap_or(7);
        for (r, (row, status)) in sites.iter().zip(statuses).enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if c == status_col {
                    sheet.write_string_with_format((r + 1) as u32, c as u16, cell, &status_format(*status))?;
                } else {
                    sheet.write_string((r + 1) as u32, c as u16, cell)?;
                }
            }
        }
        sheet.autofilter(0, 0, sites.len() as u32, (SITE_COLUMNS.len() - 1) as u16)?;
        add_sheet(&mut book, "页面", &PAGE_COLUMNS, &PAGE_WIDTHS)?;
        Ok(Self { book, rows_per_sheet: rows_per_sheet.clamp(1, SHEET_ROWS - 1), sheets: 1, rows: 0 })
    }

    /// Appends one row to the pages sheet, starting a continuation sheet when it is full.
    pub fn page_row(&mut self, cells: &[String]) -> Result<(), ReportError> {
        if self.rows >= self.rows_per_sheet {
            let name = format!("页面（{}）", self.sheets + 1);
            add_sheet(&mut self.book, &name, &PAGE_COLUMNS, &PAGE_WIDTHS)?;
            self.sheets += 1;
            self.rows = 0;
        }
        self.rows += 1;
        let sheet = self.book.worksheet_from_index(self.sheets)?;
        for (c, cell) in cells.iter().enumerate() {
            sheet.write_string(self.rows, c as u16, cell)?;
        }
        Ok(())
    }

    /// Adds the summary sheet; returns the workbook, ready to save.
    pub fn finish(mut self, summary: &[Vec<String>]) -> Result<Workbook, ReportError> {
        for index in 1..=self.sheets {
            let rows = if index == self.sheets { self.rows } else { self.rows_per_sheet };
            let pages = self.book.worksheet_from_index(index)?;
            pages.autofilter(0, 0, rows, (PAGE_COLUMNS.len() - 1) as u16)?;
        }
        let sheet = add_sheet(&mut self.book, "汇总", &SUMMARY_COLUMNS, &[12.0, 14.0])?;
        for (r, row) in summary.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                sheet.write_string((r + 1) as u32, c as u16, cell)?;
            }
        }
        sheet.autofilter(0, 0, summary.len() as u32, (SUMMARY_COLUMNS.len() - 1) as u16)?;
        Ok(self.book)
    }
}

/// Page rows waiting for the writer thread at most (a few hundred bytes each): the caller
/// waits when the thread falls behind, and memory stays flat however many pages there are.
const QUEUED_ROWS: usize = 1024;

/// What the writer thread is told.
enum Message {
    /// A row of the pages sheet.
    Row(Vec<String>),
    /// The last message: add the summary sheet and save the workbook to the path.
    Save(Vec<Vec<String>>, PathBuf),
}

/// An [`XlsxReport`] written on a blocking thread of the runtime. Rows are handed over as they
/// come; [`XlsxOnThread::save`] asks for the workbook to be saved, and [`Saving::wait`] waits
/// for it. Dropped before `save`, the workbook is abandoned and nothing is written.
pub struct XlsxOnThread {
    messages: mpsc::SyncSender<Message>,
    thread: tokio::task::JoinHandle<Result<(), ReportError>>,
}

impl XlsxOnThread {
    /// Starts the thread with `report`.
    pub fn start(mut report: XlsxReport) -> Self {
        let (messages, inbox) = mpsc::sync_channel(QUEUED_ROWS);
        let thread = tokio::task::spawn_blocking(move || {
            for message in inbox {
                match message {
                    Message::Row(cells) => report.page_row(&cells)?,
                    Message::Save(summary, path) => {
                        report.finish(&summary)?.save(path)?;
                        break;
                    }
                }
            }
            Ok(())
        });
        Self { messages, thread }
    }

    /// Appends a row to the pages sheet. Should the thread have failed, the row is dropped and
    /// its error is returned by [`Saving::wait`].
    pub fn page_row(&self, cells: Vec<String>) {
        let _ = self.messages.send(Message::Row(cells));
    }

    /// Adds the summary sheet and saves the workbook at `path`, on the thread.
    pub fn save(self, summary: Vec<Vec<String>>, path: PathBuf) -> Saving {
        let _ = self.messages.send(Message::Save(summary, path));
        Saving(self.thread)
    }
}

/// A workbook being saved by its thread.
pub struct Saving(tokio::task::JoinHandle<Result<(), ReportError>>);

impl Saving {
    /// Waits until the workbook is saved, or for the error that stopped it.
    pub async fn wait(self) -> Result<(), ReportError> {
        super::joined(self.0.await, "the spreadsheet writer")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Reader, Xlsx};

    fn page(n: usize) -> Vec<String> {
        (0..PAGE_COLUMNS.len()).map(|c| format!("p{n}c{c}")).collect()
    }

    #[test]
    fn pages_past_a_sheets_rows_go_on_in_continuation_sheets() {
        let sites = vec![(0..SITE_COLUMNS.len()).map(|c| format!("s{c}")).collect::<Vec<_>>()];
        let mut report = XlsxReport::with_rows_per_sheet(&sites, &[SiteStatus::Compliant], 3).unwrap();
        for n in 0..7 {
            report.page_row(&page(n)).unwrap();
        }
        let summary = vec![vec!["410922".to_owned(), "清丰县".to_owned()]];
        let bytes = report.finish(&summary).unwrap().save_to_buffer().unwrap();

        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), ["站点", "页面", "页面（2）", "页面（3）", "汇总"]);
        let mut seen = Vec::new();
        for name in ["页面", "页面（2）", "页面（3）"] {
            let sheet = book.worksheet_range(name).unwrap();
            assert_eq!(sheet.get_value((0, 0)).unwrap().to_string(), PAGE_COLUMNS[0].1, "{name} has the header row");
            seen.extend((1..sheet.height()).map(|r| sheet.get_value((r as u32, 0)).unwrap().to_string()));
        }
        let every: Vec<String> = (0..7).map(|n| format!("p{n}c0")).collect();
        assert_eq!(seen, every, "every row once, in order");
        assert_eq!(book.worksheet_range("汇总").unwrap().get_value((1, 1)).unwrap().to_string(), "清丰县");
    }

    #[test]
    fn a_full_pages_sheet_ends_at_the_formats_last_row() {
        // What `XlsxReport::new` fills a pages sheet to: the last row the writer accepts.
        let mut book = Workbook::new();
        let sheet = book.add_worksheet_with_constant_memory().unwrap();
        assert!(sheet.write_string(SHEET_ROWS - 1, 0, "last").is_ok());
        assert!(sheet.write_string(SHEET_ROWS, 0, "past").is_err());
    }
}
