//! A register file as a table of text cells: CSV (UTF-8, with or without a BOM, or GBK as
//! Excel writes it on Chinese Windows) or XLSX (its first sheet). Numbers and dates of XLSX
//! cells read as they show (`410922`, `2018-06-30`).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

/// Data rows read at most (the national register is about 15,000 government sites).
pub const MAX_ROWS: usize = 100_000;

/// A file's headings and data rows; data row `i` is row `i + 2` of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// The first row.
    pub headings: Vec<String>,
    /// The rows after it, blank rows dropped (their numbers kept in `numbers`).
    pub rows: Vec<Vec<String>>,
    /// The file's row number of each data row.
    pub numbers: Vec<usize>,
}

/// Why a file could not be read as a table, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// The CSV is malformed.
    #[error("CSV文件格式有误：{0}")]
    Csv(String),
    /// The XLSX is malformed.
    #[error("Excel文件无法读取：{0}")]
    Xlsx(String),
    /// Neither format.
    #[error("文件格式不支持，请上传CSV或XLSX文件")]
    Format,
    /// No heading row.
    #[error("文件为空")]
    Empty,
    /// More rows than [`MAX_ROWS`].
    #[error("文件行数超过{MAX_ROWS}行，请分批导入")]
    TooManyRows,
}

/// Reads `bytes`: XLSX when it is a ZIP archive (or named `.xlsx`), CSV otherwise.
pub fn read(bytes: &[u8], file_name: &str) -> Result<Table, TableError> {
    let lower = file_name.to_ascii_lowercase();
    let cells = if bytes.starts_with(b"PK\x03\x04") {
        xlsx_cells(bytes)?
    } else if lower.ends_with(".xlsx") || lower.ends_with(".xls") {
        return Err(TableError::Format);
    } else {
        csv_cells(bytes)?
    };
    let mut numbered = cells.into_iter().enumerate().map(|(i, row)| (i + 1, row));
    let (_, headings) = numbered.next().ok_or(TableError::Empty)?;
    let mut table = Table { headings, ..Table::default() };
    for (number, row) in numbered.filter(|(_, row)| row.iter().any(|c| !c.trim().is_empty())) {
        if table.rows.len() == MAX_ROWS {
            return Err(TableError::TooManyRows);
        }
        table.rows.push(row);
        table.numbers.push(number);
    }
    Ok(table)
}

/// Text of CSV bytes: UTF-8 (BOM dropped), else GB18030 (a superset of GBK).
fn csv_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.into(),
        Err(_) => encoding_rs::GB18030.decode_without_bom_handling(bytes).0,
    }
}

fn csv_cells(bytes: &[u8]) -> Result<Vec<Vec<String>>, TableError> {
    let text = csv_text(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| TableError::Csv(e.to_string()))?;
        if rows.len() > MAX_ROWS {
            return Err(TableError::TooManyRows);
        }
        rows.push(record.iter().map(str::to_owned).collect());
    }
    Ok(rows)
}

fn xlsx_cells(bytes: &[u8]) -> Result<Vec<Vec<String>>, TableError> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| TableError::Xlsx(e.to_string()))?;
    let range = book.worksheet_range_at(0).ok_or(TableError::Empty)?.map_err(|e| TableError::Xlsx(e.to_string()))?;
    if range.height() > MAX_ROWS + 1 {
        return Err(TableError::TooManyRows);
    }
    Ok(range.rows().map(|row| row.iter().map(cell_text).collect()).collect())
}

/// A cell as it shows: whole numbers without `.0`, dates as `YYYY-MM-DD`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        #[allow(clippy::cast_possible_truncation)]
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.as_datetime().map(|t| t.date().to_string()).unwrap_or_default(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_in_utf8_with_bom_or_gbk_reads_the_same() {
        let text = "单位名称,网站名称\n\"清丰县人民政府, 办公室\",清丰县人民政府\n,\n南乐县教育局,南乐县教育网\n";
        let utf8 = [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat();
        let gbk = encoding_rs::GB18030.encode(text).0.into_owned();
        for bytes in [utf8, gbk] {
            let t = read(&bytes, "register.csv").unwrap();
            assert_eq!(t.headings, ["单位名称", "网站名称"]);
            assert_eq!(t.rows[0], ["清丰县人民政府, 办公室", "清丰县人民政府"]);
            assert_eq!(t.numbers, [2, 4], "the blank row 3 is skipped but counted");
        }
    }

    #[test]
    fn xlsx_cells_read_as_they_show() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "行政区划").unwrap();
        sheet.write_string(0, 1, "标识发放日期").unwrap();
        sheet.write_number(1, 0, 410_922.0).unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2018, 6, 30).unwrap();
        let format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        sheet.write_datetime_with_format(1, 1, &date, &format).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let t = read(&bytes, "anything").unwrap();
        assert_eq!(t.rows, [["410922", "2018-06-30"]]);
        assert_eq!(read(b"not a workbook", "register.xlsx"), Err(TableError::Format));
        assert_eq!(read(b"", "register.csv"), Err(TableError::Empty));
    }
}
