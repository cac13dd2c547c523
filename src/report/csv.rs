//! CSV as Excel and WPS read Chinese best: UTF-8 with a byte-order mark, CRLF line ends,
//! RFC 4180 quoting, Chinese headers.

/// The CSV text of `rows` under the Chinese headers of `columns` ((key, header) pairs).
pub fn render(columns: &[(&str, &str)], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    let header: Vec<&str> = columns.iter().map(|(_, zh)| *zh).collect();
    line(&mut out, header.iter().copied());
    for row in rows {
        line(&mut out, row.iter().map(String::as_str));
    }
    out.into_bytes()
}

fn line<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        // A leading =, +, - or @ would be read as a formula by spreadsheets: quote it as text.
        let formula = field.starts_with(['=', '+', '-', '@']);
        if formula || field.contains([',', '"', '\n', '\r']) {
            out.push('"');
            if formula {
                out.push('\'');
            }
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out.push_str("\r\n");
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
