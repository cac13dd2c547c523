//! A register file as a table of text cells: CSV (UTF-8, with or without a BOM, or GBK as
//! Excel writes it on Chinese Windows) or XLSX (its first sheet). Numbers and dates of XLSX
//! cells read as they show (`410922`, `2018-06-30`). An XLSX is a ZIP archive of XML, and what
//! it unpacks to is bounded before it is read: its parts in all, its shared strings, and its
//! cells, read one by one (never as the dense rectangle its farthest cell spans). What the
//! table itself holds is bounded too, for both formats: each cell's text, and all of it.

use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};

use crate::service::turns::Turns;

/// Data rows read at most (the national register is about 15,000 government sites).
pub const MAX_ROWS: usize = 100_000;

/// Columns a table may span at most (the register has fifteen; the rest leaves room for an
/// office's own notes).
pub const MAX_COLUMNS: usize = 64;

/// What the parts of an XLSX may unpack to, in all. A register of [`MAX_ROWS`] rows of fifteen
/// filled cells is some 60 MB of sheet XML and 10 MB of shared strings; a 20 MB upload of
/// repeated bytes could otherwise unpack to some 20 GB, to be parsed (the sheet) or held (the
/// shared strings, all in memory). Within the bound, the costliest file to read (4.4 million
/// short shared strings, `bench/register_xlsx.py`) takes `govbadge import` to 286 MB.
const MAX_UNPACKED_BYTES: u64 = 128 * 1024 * 1024;

/// Characters a cell may hold: Excel's own limit for a cell. A longer text does not come from
/// a spreadsheet program, and a shared string is copied into every cell that refers to it.
pub const MAX_CELL_CHARS: usize = 32_767;

/// What a table may hold in memory, in all: its cells' text and a `String` for each cell
/// (counted with the empty ones the table's shape needs). [`MAX_ROWS`] rows like those of the
/// test register's fifteen columns hold about 60 MB. Without this bound, a 12 KB workbook
/// whose 3,000 cells all refer to one 4 MB shared string asked for 12 GB and aborted the
/// process, and a CSV of commas holds 24 bytes a byte.
const MAX_TABLE_BYTES: usize = 128 * 1024 * 1024;

/// Shared strings an XLSX may declare at most: one per cell of a full table. (The reader
/// reserves room for as many as the file declares, before reading one.)
const MAX_SHARED_STRINGS: u64 = ((MAX_ROWS + 1) * MAX_COLUMNS) as u64;

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
    /// A cell beyond [`MAX_COLUMNS`] columns.
    #[error("文件列数超过{MAX_COLUMNS}列，请删除表格右侧多余的内容后重新上传")]
    TooManyColumns,
    /// The XLSX unpacks to more than a register can be.
    #[error("Excel文件解压后过大，请删除多余的工作表和内容后重新上传")]
    TooLarge,
    /// A cell with more than [`MAX_CELL_CHARS`] characters, at this row (1-based, of the file)
    /// and column (letters, as a spreadsheet names it).
    #[error("第{row}行{column}列的内容超过{MAX_CELL_CHARS}个字符（电子表格单元格的上限），请检查后重新上传")]
    CellTooLong {
        /// The file's row number.
        row: usize,
        /// The column's letters (`A`, `AB`).
        column: String,
    },
    /// The cells would hold more than 128 MB in all (`MAX_TABLE_BYTES`).
    #[error("文件内容过多，请分批导入")]
    TooMuchText,
    /// Other files were being read for longer than a read waits for its turn.
    #[error("导入文件较多，系统正在逐个读取，请稍后再试")]
    Busy,
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

/// Files read at once in this process: one. A file within every bound above may still take
/// some 250 MB while it is read (see [`MAX_UNPACKED_BYTES`]): eight uploaded at once took a
/// server to 1.2 GB (BENCHMARKS.md §5). Uploads that come together, from many offices, are
/// read in turn.
static READ_TURNS: std::sync::LazyLock<Turns> = std::sync::LazyLock::new(Turns::default);

/// How long a read waits for its turn before it gives up with [`TableError::Busy`]: well
/// within the minute after which a reverse proxy commonly gives up on a request (the costliest
/// file takes 3 s to read).
const READ_TURN_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// [`read`] on a blocking thread, off the server's workers (an XLSX near the upload limit
/// takes a second of CPU to screen and read), one file at a time in the process. A panic of
/// the XLSX reader on a malformed file is the file's error, not the request's.
pub async fn read_off_runtime(bytes: &[u8], file_name: &str) -> Result<Table, TableError> {
    read_in_turn(bytes, file_name, READ_TURN_WAIT).await
}

async fn read_in_turn(bytes: &[u8], file_name: &str, wait: std::time::Duration) -> Result<Table, TableError> {
    let turn = READ_TURNS.take(wait).await.ok_or(TableError::Busy)?;
    let (bytes, file_name) = (bytes.to_vec(), file_name.to_owned());
    turn.run_blocking(move || read(&bytes, &file_name))
        .await
        .unwrap_or_else(|_| Err(TableError::Xlsx("文件内容有误".into())))
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
    let mut held = Held::default();
    for record in reader.records() {
        let record = record.map_err(|e| TableError::Csv(e.to_string()))?;
        if rows.len() > MAX_ROWS {
            return Err(TableError::TooManyRows);
        }
        held.rows(1)?;
        held.cells(record.len())?;
        let mut row = Vec::with_capacity(record.len());
        for (column, field) in record.iter().enumerate() {
            check_length(field, rows.len(), column)?;
            held.text(field)?;
            row.push(field.to_owned());
        }
        rows.push(row);
    }
    Ok(rows)
}

/// What the table read so far holds, in bytes, against [`MAX_TABLE_BYTES`].
#[derive(Default)]
struct Held(usize);

impl Held {
    fn bytes(&mut self, n: usize) -> Result<(), TableError> {
        self.0 = self.0.saturating_add(n);
        if self.0 > MAX_TABLE_BYTES {
            return Err(TableError::TooMuchText);
        }
        Ok(())
    }

    /// `n` rows' own vectors.
    fn rows(&mut self, n: usize) -> Result<(), TableError> {
        self.bytes(n.saturating_mul(std::mem::size_of::<Vec<String>>()))
    }

    /// `n` cells, empty.
    fn cells(&mut self, n: usize) -> Result<(), TableError> {
        self.bytes(n.saturating_mul(std::mem::size_of::<String>()))
    }

    /// A cell's text.
    fn text(&mut self, text: &str) -> Result<(), TableError> {
        self.bytes(text.len())
    }
}

/// Refuses a cell longer than [`MAX_CELL_CHARS`]; `row` and `column` count from 0, from the
/// file's first row and column.
fn check_length(text: &str, row: usize, column: usize) -> Result<(), TableError> {
    if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
        return Err(TableError::CellTooLong { row: row + 1, column: column_letters(column) });
    }
    Ok(())
}

/// A column's name in a spreadsheet: 0 is `A`, 25 `Z`, 26 `AA`.
fn column_letters(column: usize) -> String {
    let mut letters = Vec::new();
    let mut n = column + 1;
    while n > 0 {
        let digit = (n - 1) % 26;
        letters.push(b'A' + digit as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

fn xlsx_error(e: impl std::fmt::Display) -> TableError {
    TableError::Xlsx(e.to_string())
}

/// The first sheet's cells as rows, from its first used row and column (as a spreadsheet's
/// used range reads), after [`screen_archive`].
fn xlsx_cells(bytes: &[u8]) -> Result<Vec<Vec<String>>, TableError> {
    screen_archive(bytes)?;
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    let first = book.sheet_names().first().cloned().ok_or(TableError::Empty)?;
    let mut cells = book.worksheet_cells_reader(&first).map_err(xlsx_error)?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut held = Held::default();
    let (mut first_row, mut first_column) = (None, usize::MAX);
    while let Some(cell) = cells.next_cell().map_err(xlsx_error)? {
        let (row, column) = cell.get_position();
        let (row, column) = (row as usize, column as usize);
        // Checked before the text is copied: a shared string is copied into each cell.
        if let Some(text) = cell_str(cell.get_value()) {
            check_length(text, row, column)?;
        }
        let text = cell_text(cell.get_value());
        if text.is_empty() {
            continue;
        }
        if column >= MAX_COLUMNS {
            return Err(TableError::TooManyColumns);
        }
        // A sheet lists its rows in order; the first row with a value is the table's first.
        let first_row = *first_row.get_or_insert(row);
        let Some(at) = row.checked_sub(first_row) else {
            return Err(TableError::Xlsx("工作表的行顺序有误".into()));
        };
        if at > MAX_ROWS {
            return Err(TableError::TooManyRows);
        }
        if rows.len() <= at {
            held.rows(at + 1 - rows.len())?;
            rows.resize_with(at + 1, Vec::new);
        }
        let cells = &mut rows[at];
        if cells.len() <= column {
            held.cells(column + 1 - cells.len())?;
            cells.resize(column + 1, String::new());
        }
        held.text(&text)?;
        cells[column] = text;
        first_column = first_column.min(column);
    }
    for row in &mut rows {
        row.drain(..first_column.min(row.len()));
    }
    Ok(rows)
}

/// Refuses an archive whose parts unpack to more than [`MAX_UNPACKED_BYTES`] in all (counted
/// by unpacking them, not from the sizes the archive claims) or whose shared strings declare
/// more than [`MAX_SHARED_STRINGS`]. Unpacking stops at the bound.
fn screen_archive(bytes: &[u8]) -> Result<(), TableError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    let mut unpacked = 0u64;
    for index in 0..archive.len() {
        let part = archive.by_index(index).map_err(xlsx_error)?;
        let shared_strings = part.name().map_err(xlsx_error)?.to_ascii_lowercase().ends_with("sharedstrings.xml");
        let mut part = Counted { inner: part, unpacked: &mut unpacked };
        let screened = if shared_strings { screen_shared_strings(&mut part) } else { Ok(()) };
        screened.and_then(|()| std::io::copy(&mut part, &mut std::io::sink()).map(drop)).map_err(|e| {
            if e.kind() == std::io::ErrorKind::FileTooLarge {
                TableError::TooLarge
            } else {
                xlsx_error(e)
            }
        })?;
    }
    Ok(())
}

/// A part being unpacked, adding what it gives to the archive's count; past
/// [`MAX_UNPACKED_BYTES`] a read fails with [`std::io::ErrorKind::FileTooLarge`].
struct Counted<'a, R> {
    inner: R,
    unpacked: &'a mut u64,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        *self.unpacked += n as u64;
        if *self.unpacked > MAX_UNPACKED_BYTES {
            return Err(std::io::ErrorKind::FileTooLarge.into());
        }
        Ok(n)
    }
}

/// Reads the shared strings up to their first `sst` element, as calamine does, and fails with
/// [`std::io::ErrorKind::FileTooLarge`] when its `uniqueCount` (for which calamine reserves
/// room) is above [`MAX_SHARED_STRINGS`]. XML that is not well formed is left for calamine to
/// refuse.
fn screen_shared_strings(part: &mut impl Read) -> std::io::Result<()> {
    use quick_xml::events::Event;
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(part));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.local_name().as_ref() == "sst" => {
                let declared = e
                    .attributes()
                    .with_checks(false)
                    .filter_map(Result::ok)
                    .find(|a| a.key.as_ref() == "uniqueCount")
                    .and_then(|a| declared_count(a.value.as_bytes()));
                return match declared {
                    Some(n) if n > MAX_SHARED_STRINGS => Err(std::io::ErrorKind::FileTooLarge.into()),
                    _ => Ok(()),
                };
            }
            Ok(Event::Eof) => return Ok(()),
            Err(quick_xml::Error::Io(e)) => return Err(std::io::Error::new(e.kind(), e.to_string())),
            Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

/// A count as calamine reads it: decimal digits, perhaps after a `+` and zeros; `None` when
/// it is not one (calamine then reserves nothing). Too many digits for a `u64` is `u64::MAX`.
fn declared_count(value: &[u8]) -> Option<u64> {
    let digits = value.strip_prefix(b"+").unwrap_or(value);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(std::str::from_utf8(digits).ok()?.parse().unwrap_or(u64::MAX))
}

/// A cell's text as the file holds it, when it is text.
fn cell_str<'c>(cell: &'c DataRef<'_>) -> Option<&'c str> {
    match cell {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Some(s),
        DataRef::SharedString(s) => Some(s),
        _ => None,
    }
}

/// A cell as it shows: whole numbers without `.0`, dates as `YYYY-MM-DD`.
fn cell_text(cell: &DataRef<'_>) -> String {
    match cell {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        #[allow(clippy::cast_possible_truncation)]
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d.as_datetime().map(|t| t.date().to_string()).unwrap_or_default(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
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

    /// A workbook of the given cells, as Excel or WPS would save it.
    fn workbook(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for &(row, column, text) in cells {
            sheet.write_string(row, column, text).unwrap();
        }
        book.save_to_buffer().unwrap()
    }

    /// The archive `bytes` with each part's content passed through `change` (by part name).
    fn rezip(bytes: &[u8], change: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
        let mut from = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut to = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for index in 0..from.len() {
            let mut part = from.by_index(index).unwrap();
            let name = part.name().unwrap().into_owned();
            let mut content = Vec::new();
            part.read_to_end(&mut content).unwrap();
            to.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
            std::io::Write::write_all(&mut to, &change(&name, content)).unwrap();
        }
        to.finish().unwrap().into_inner()
    }

    #[test]
    fn a_table_starts_at_its_first_used_row_and_column() {
        let bytes = workbook(&[(2, 1, "单位名称"), (2, 2, "网站名称"), (3, 1, "清丰县人民政府"), (4, 3, "备注")]);
        let t = read(&bytes, "register.xlsx").unwrap();
        assert_eq!(t.headings, ["单位名称", "网站名称"]);
        assert_eq!(t.rows, [vec!["清丰县人民政府".to_owned()], vec![String::new(), String::new(), "备注".into()]]);
    }

    /// One stray cell far away spans a rectangle of billions of cells: read as a dense range,
    /// this 5 KB file asked for 512 GB and aborted the process. Read cell by cell, it is refused.
    #[test]
    fn a_stray_cell_far_away_is_refused_with_its_reason_not_spanned() {
        let far = workbook(&[(0, 0, "单位名称"), (1, 0, "清丰县人民政府"), (1_000_000, 16_000, "x")]);
        assert!(far.len() < 10_000);
        assert_eq!(read(&far, "register.xlsx"), Err(TableError::TooManyColumns));
        let deep = workbook(&[(0, 0, "单位名称"), (1, 0, "清丰县人民政府"), (1_000_000, 1, "x")]);
        assert_eq!(read(&deep, "register.xlsx"), Err(TableError::TooManyRows));
        let edge = workbook(&[(0, 0, "单位名称"), (MAX_ROWS as u32, (MAX_COLUMNS - 1) as u16, "x")]);
        let t = read(&edge, "register.xlsx").unwrap();
        assert_eq!(t.numbers, [MAX_ROWS + 1], "the farthest cell of the largest table is read");
        let past = workbook(&[(0, 0, "单位名称"), (MAX_ROWS as u32 + 1, 0, "x")]);
        assert_eq!(read(&past, "register.xlsx"), Err(TableError::TooManyRows));
    }

    /// The reader reserves room for as many shared strings as the file declares, before
    /// reading one: declared by the billion, it aborted the process.
    #[test]
    fn shared_strings_declared_by_the_billion_are_refused() {
        let bytes = workbook(&[(0, 0, "单位名称"), (1, 0, "清丰县人民政府")]);
        let inflate = |count: &str| {
            rezip(&bytes, |name, content| {
                if !name.ends_with("sharedStrings.xml") {
                    return content;
                }
                let text = String::from_utf8(content).unwrap();
                let at = text.find("uniqueCount=\"").unwrap() + "uniqueCount=\"".len();
                let end = at + text[at..].find('"').unwrap();
                format!("{}{count}{}", &text[..at], &text[end..]).into_bytes()
            })
        };
        assert_eq!(
            read(&inflate("2"), "register.xlsx").unwrap().rows,
            [["清丰县人民政府"]],
            "the rewrite keeps a file"
        );
        assert_eq!(read(&inflate("100000000000"), "register.xlsx"), Err(TableError::TooLarge));
        assert_eq!(read(&inflate("+000100000000000"), "register.xlsx"), Err(TableError::TooLarge));
        assert_eq!(read(&inflate("99999999999999999999999"), "register.xlsx"), Err(TableError::TooLarge));
        // Found wherever the element starts, as calamine finds it: after a long comment that
        // names another, with a namespace prefix.
        let padded = rezip(&inflate("100000000000"), |name, content| {
            if !name.ends_with("sharedStrings.xml") {
                return content;
            }
            let main = "xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"";
            let text = String::from_utf8(content).unwrap().replacen("<sst ", &format!("<x:sst {main} "), 1);
            let text = text.replace("</sst>", "</x:sst>");
            let at = text.find("<x:sst").unwrap();
            let comment = format!("<!-- <sst uniqueCount=\"1\"> {} -->", " ".repeat(64 * 1024));
            format!("{}{comment}{}", &text[..at], &text[at..]).into_bytes()
        });
        assert_eq!(read(&padded, "register.xlsx"), Err(TableError::TooLarge));
    }

    #[test]
    fn an_archive_that_unpacks_past_the_bound_is_refused_and_unpacked_no_further() {
        let bytes = workbook(&[(0, 0, "单位名称"), (1, 0, "清丰县人民政府")]);
        // Blanks inside the sheet's data, past the bound: a few hundred kilobytes packed.
        let bomb = rezip(&bytes, |name, content| {
            if !name.ends_with("worksheets/sheet1.xml") {
                return content;
            }
            let text = String::from_utf8(content).unwrap();
            let at = text.find("</sheetData>").unwrap();
            let blanks = " ".repeat((MAX_UNPACKED_BYTES + 1) as usize);
            format!("{}{blanks}{}", &text[..at], &text[at..]).into_bytes()
        });
        assert!(bomb.len() < 2 * 1024 * 1024, "{} bytes", bomb.len());
        assert_eq!(read(&bomb, "register.xlsx"), Err(TableError::TooLarge));
    }

    /// A workbook whose data cells (`rows` × `columns`, below a heading) all refer to one
    /// shared string of `chars` characters.
    fn one_shared_string_in_every_cell(chars: usize, rows: u32, columns: u16) -> Vec<u8> {
        let mut cells = vec![(0, 0, "单位名称")];
        for row in 1..=rows {
            for column in 0..columns {
                cells.push((row, column, "X"));
            }
        }
        rezip(&workbook(&cells), |name, content| {
            if !name.ends_with("sharedStrings.xml") {
                return content;
            }
            let text = String::from_utf8(content).unwrap();
            assert!(text.contains("<t>X</t>"), "{text}");
            text.replace("<t>X</t>", &format!("<t>{}</t>", "a".repeat(chars))).into_bytes()
        })
    }

    #[test]
    fn a_cell_longer_than_a_spreadsheet_holds_is_refused_before_it_is_copied_into_each_cell() {
        // 12 KB packed; 3,000 copies of 4 MB asked for 12 GB and aborted the process.
        let bomb = one_shared_string_in_every_cell(4 * 1024 * 1024, 200, 15);
        assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
        assert_eq!(read(&bomb, "register.xlsx"), Err(TableError::CellTooLong { row: 2, column: "A".into() }));
        let longest = one_shared_string_in_every_cell(MAX_CELL_CHARS, 1, 2);
        assert_eq!(read(&longest, "register.xlsx").unwrap().rows[0][1].len(), MAX_CELL_CHARS);
        let csv = format!("单位名称,网站名称\n清丰县人民政府,{}\n", "网".repeat(MAX_CELL_CHARS + 1));
        let refused = read(csv.as_bytes(), "register.csv");
        assert_eq!(refused, Err(TableError::CellTooLong { row: 2, column: "B".into() }));
        assert_eq!(
            refused.unwrap_err().to_string(),
            "第2行B列的内容超过32767个字符（电子表格单元格的上限），请检查后重新上传"
        );
    }

    #[test]
    fn a_table_that_would_hold_more_than_its_bound_is_refused() {
        // Each cell within a spreadsheet's limit, 4,800 of them: 157 MB of copies.
        let copies = one_shared_string_in_every_cell(32_000, 320, 15);
        assert_eq!(read(&copies, "register.xlsx"), Err(TableError::TooMuchText));
        // A CSV holds a String of 24 bytes for each of its empty cells: 6 MB of commas.
        let commas = format!("单位名称\n{}\n", ",".repeat(6 * 1024 * 1024));
        assert_eq!(read(commas.as_bytes(), "register.csv"), Err(TableError::TooMuchText));
        let fewer = format!("单位名称\n{}清丰县人民政府\n", ",".repeat(1024 * 1024));
        assert_eq!(read(fewer.as_bytes(), "register.csv").unwrap().rows[0].len(), 1024 * 1024 + 1);
    }

    #[test]
    fn columns_are_named_as_a_spreadsheet_names_them() {
        let names: Vec<String> = [0, 25, 26, 63, 701, 702].into_iter().map(column_letters).collect();
        assert_eq!(names, ["A", "Z", "AA", "BL", "ZZ", "AAA"]);
    }

    #[tokio::test]
    async fn files_are_read_one_at_a_time_and_a_read_waits_for_its_turn_within_a_bound() {
        let csv = "单位名称\n清丰县人民政府\n".as_bytes();
        let held = READ_TURNS.take(std::time::Duration::from_secs(30)).await.unwrap();
        let wait = std::time::Duration::from_millis(50);
        assert_eq!(read_in_turn(csv, "register.csv", wait).await, Err(TableError::Busy));
        let waiting = read_in_turn(csv, "register.csv", std::time::Duration::from_secs(30));
        let (table, ()) = tokio::join!(waiting, async { drop(held) });
        assert_eq!(table.unwrap().rows, [["清丰县人民政府"]]);
        let together = futures_util::future::join_all((0..4).map(|_| read_off_runtime(csv, "register.csv"))).await;
        assert!(together.iter().all(|t| t.as_ref().is_ok_and(|t| t.rows.len() == 1)), "{together:?}");
    }
}
