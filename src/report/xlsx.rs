//! `report.xlsx`: the three sheets of the CSV files in one workbook, with frozen header rows,
//! filters, column widths and the status cells coloured.

use std::path::Path;

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet};

use super::rows::{ReportData, PAGE_COLUMNS, SITE_COLUMNS, SUMMARY_COLUMNS};
use crate::domain::site_status::SiteStatus;

fn status_colour(status: SiteStatus) -> Color {
    Color::RGB(super::charts::status_fill(status))
}

fn sheet(
    book: &mut Workbook,
    name: &str,
    columns: &[(&str, &str)],
    rows: &[Vec<String>],
    widths: &[f64],
) -> anyhow::Result<()> {
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xB4161B))
        .set_font_color(Color::White)
        .set_border(FormatBorder::Thin);
    let sheet: &mut Worksheet = book.add_worksheet().set_name(name)?;
    for (c, (_, zh)) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *zh, &header)?;
        sheet.set_column_width(c as u16, widths.get(c).copied().unwrap_or(14.0))?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string((r + 1) as u32, c as u16, cell)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, rows.len() as u32, (columns.len() - 1) as u16)?;
    Ok(())
}

pub fn write(path: &Path, data: &ReportData) -> anyhow::Result<()> {
    workbook(data)?.save(path)?;
    Ok(())
}

/// The workbook as bytes, for a download.
pub fn to_bytes(data: &ReportData) -> anyhow::Result<Vec<u8>> {
    Ok(workbook(data)?.save_to_buffer()?)
}

fn workbook(data: &ReportData) -> anyhow::Result<Workbook> {
    let mut book = Workbook::new();
    let site_widths = [16.0, 24.0, 12.0, 10.0, 10.0, 24.0, 30.0, 12.0, 12.0];
    sheet(&mut book, "站点", &SITE_COLUMNS, &data.sites, &site_widths)?;
    {
        let sites = book.worksheet_from_index(0)?;
        let status_col = SITE_COLUMNS.iter().position(|(k, _)| *k == "status").unwrap_or(7) as u16;
        for (r, status) in data.site_statuses.iter().enumerate() {
            let format = Format::new().set_background_color(status_colour(*status));
            sites.write_string_with_format((r + 1) as u32, status_col, status.label(), &format)?;
        }
    }
    sheet(&mut book, "页面", &PAGE_COLUMNS, &data.pages, &[16.0, 50.0, 10.0, 12.0, 14.0, 20.0, 36.0, 10.0])?;
    sheet(&mut book, "汇总", &SUMMARY_COLUMNS, &data.summary, &[12.0, 14.0])?;
    Ok(book)
}
