//! `report.xlsx`: the three sheets of the CSV files in one workbook, with frozen header rows,
//! filters, column widths and the status cells coloured. The sheets are written in constant
//! memory mode (rows go to temporary files as they come), so a sweep of any size fits.

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

/// A workbook being written: the sites sheet at once, the pages sheet row by row, the summary
/// sheet at the end.
pub struct XlsxReport {
    book: Workbook,
    pages: u32,
}

impl XlsxReport {
    /// A workbook with the sites sheet written and the pages sheet open for rows.
    pub fn new(sites: &[Vec<String>], statuses: &[SiteStatus]) -> Result<Self, ReportError> {
        let mut book = Workbook::new();
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
        add_sheet(&mut book, "页面", &PAGE_COLUMNS, &[16.0, 50.0, 10.0, 12.0, 14.0, 16.0, 20.0, 36.0, 10.0])?;
        Ok(Self { book, pages: 0 })
    }

    /// Appends one row to the pages sheet.
    pub fn page_row(&mut self, cells: &[String]) -> Result<(), ReportError> {
        self.pages += 1;
        let sheet = self.book.worksheet_from_index(1)?;
        for (c, cell) in cells.iter().enumerate() {
            sheet.write_string(self.pages, c as u16, cell)?;
        }
        Ok(())
    }

    /// Adds the summary sheet; returns the workbook, ready to save.
    pub fn finish(mut self, summary: &[Vec<String>]) -> Result<Workbook, ReportError> {
        let pages = self.book.worksheet_from_index(1)?;
        pages.autofilter(0, 0, self.pages, (PAGE_COLUMNS.len() - 1) as u16)?;
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
