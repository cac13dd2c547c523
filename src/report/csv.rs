//! CSV as Excel and WPS read Chinese best: UTF-8 with a byte-order mark, CRLF line ends,
//! RFC 4180 quoting, Chinese headers. Written row by row, so a sweep's pages never have to be
//! held in memory at once.

use std::io::{self, Write};

/// A CSV file being written: the byte-order mark and the header first, then one row per call.
pub struct CsvWriter<W: Write> {
    out: W,
    line: String,
}

impl<W: Write> CsvWriter<W> {
    /// Starts the file with the Chinese headers of `columns` ((key, header) pairs).
    pub fn new(mut out: W, columns: &[(&str, &str)]) -> io::Result<Self> {
        out.write_all("\u{feff}".as_bytes())?;
        let mut writer = Self { out, line: String::new() };
        writer.write_fields(columns.iter().map(|(_, zh)| *zh))?;
        Ok(writer)
    }

    /// Writes one row, quoting cells as RFC 4180 asks.
    pub fn row(&mut self, cells: &[String]) -> io::Result<()> {
        self.write_fields(cells.iter().map(String::as_str))
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    fn write_fields<'a>(&mut self, fields: impl Iterator<Item = &'a str>) -> io::Result<()> {
        self.line.clear();
        for (i, field) in fields.enumerate() {
            if i > 0 {
                self.line.push(',');
            }
            // A leading =, +, - or @ would be read as a formula by spreadsheets: quote it as text.
            let formula = field.starts_with(['=', '+', '-', '@']);
            if formula || field.contains([',', '"', '\n', '\r']) {
                self.line.push('"');
                if formula {
                    self.line.push('\'');
                }
                self.line.push_str(&field.replace('"', "\"\""));
                self.line.push('"');
            } else {
                self.line.push_str(field);
            }
        }
        self.line.push_str("\r\n");
        self.out.write_all(self.line.as_bytes())
    }
}

impl CsvWriter<Vec<u8>> {
    /// The bytes written since the last call, taken out of the buffer: a file sent in parts
    /// as it is written.
    pub fn take_written(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}

/// The CSV text of `rows` under the Chinese headers of `columns`.
pub fn render(columns: &[(&str, &str)], rows: &[Vec<String>]) -> Vec<u8> {
    let mut writer = CsvWriter::new(Vec::new(), columns).expect("writing to memory");
    for row in rows {
        writer.row(row).expect("writing to memory");
    }
    writer.finish().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    #[test]
    fn bom_crlf_and_quoting() {
        let csv = super::render(
            &[("a", "甲"), ("b", "乙")],
            &[vec!["x,y".into(), "say \"hi\"".into()], vec!["=1+1".into(), "多\n行".into()]],
        );
        let text = String::from_utf8(csv).unwrap();
        assert_eq!(text, "\u{feff}甲,乙\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n\"'=1+1\",\"多\n行\"\r\n");
    }
}
