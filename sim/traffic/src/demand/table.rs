//! The CSV that demand files use (RFC 4180, read by the `csv` crate): a header row naming the
//! columns, quoted fields where a field holds a comma or a quote, LF or CRLF line ends, a
//! UTF-8 byte-order mark ignored; blank lines and lines starting with `#` skipped; fields
//! trimmed.

use super::DemandError;
use std::path::Path;

#[derive(Debug)]
pub struct Table {
    columns: Vec<String>,
    /// (1-based line number, fields)
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Line numbers of byte offsets that only move forward.
#[derive(Default)]
struct LineCounter {
    /// Bytes counted so far, and the line feeds among them.
    counted: usize,
    feeds: usize,
}

impl LineCounter {
    fn line_at(&mut self, bytes: &[u8], byte: u64) -> usize {
        let to = (byte as usize).clamp(self.counted, bytes.len());
        self.feeds += bytes[self.counted..to]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.counted = to;
        1 + self.feeds
    }
}

impl Table {
    pub fn read(path: &Path) -> Result<Table, DemandError> {
        let bytes = std::fs::read(path).map_err(|e| DemandError::io(path, e))?;
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .comment(Some(b'#'))
            .flexible(true)
            .from_reader(bytes);
        // the line of a record: where it ends (csv's own record positions and line counts
        // do not see skipped comment and blank lines); counted on from the last record, so a
        // long file is read once
        let mut lines = LineCounter::default();
        let mut record = csv::StringRecord::new();
        let mut next = || -> Result<Option<(usize, Vec<String>)>, DemandError> {
            let mut line_at = |byte: u64| lines.line_at(bytes, byte);
            let more = reader.read_record(&mut record).map_err(|e| {
                let line = e.position().map_or(1, |p| line_at(p.byte()));
                let why = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_string(),
                    _ => e.to_string(),
                };
                DemandError::parse(path, line, why)
            })?;
            // (the position is past a record's LF, or on the LF of its CRLF)
            let line = line_at(reader.position().byte().saturating_sub(1));
            Ok(more.then(|| (line, record.iter().map(|f| f.trim().to_string()).collect())))
        };
        let (_, columns) = next()?
            .ok_or_else(|| DemandError::parse(path, 1, "empty file: expected a header row"))?;
        let mut rows = Vec::new();
        while let Some((line, fields)) = next()? {
            if fields.len() != columns.len() {
                return Err(DemandError::parse(
                    path,
                    line,
                    format!(
                        "{} fields, expected {} ({})",
                        fields.len(),
                        columns.len(),
                        columns.join(",")
                    ),
                ));
            }
            rows.push((line, fields));
        }
        Ok(Table { columns, rows })
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The first of `names` that the header has, or an error listing what was expected.
    pub fn require(&self, path: &Path, names: &[&str]) -> Result<usize, DemandError> {
        names.iter().find_map(|n| self.column(n)).ok_or_else(|| {
            DemandError::parse(
                path,
                1,
                format!(
                    "no column {} in the header ({})",
                    names.join(" or "),
                    self.columns.join(",")
                ),
            )
        })
    }
}

/// A field as a number, or an error naming the column and what was found.
pub fn number<T: std::str::FromStr>(
    path: &Path,
    line: usize,
    column: &str,
    value: &str,
) -> Result<T, DemandError> {
    value.parse().map_err(|_| {
        DemandError::parse(
            path,
            line,
            format!("{column}: expected a number, found {value:?}"),
        )
    })
}

/// The latest departure a file may give: the end of the next day (a day's trips that leave
/// after midnight belong to it).
pub const LATEST_S: u32 = 48 * 3600;

/// A time of day as seconds after midnight: `HH:MM`, `HH:MM:SS` or plain seconds. Up to
/// [`LATEST_S`].
pub fn time_of_day(
    path: &Path,
    line: usize,
    column: &str,
    value: &str,
) -> Result<u32, DemandError> {
    let parsed = if value.contains(':') {
        citytwin_city::calendar::clock_seconds(value)
    } else {
        value
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| s.min(f64::from(u32::MAX)) as u32)
    };
    parsed.filter(|s| *s <= LATEST_S).ok_or_else(|| {
        DemandError::parse(
            path,
            line,
            format!(
                "{column}: expected a time HH:MM[:SS] or seconds from 00:00 to 48:00, found {value:?}"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day() {
        let p = Path::new("t.csv");
        assert_eq!(time_of_day(p, 2, "depart", "07:30").unwrap(), 27_000);
        assert_eq!(time_of_day(p, 2, "depart", "07:30:15").unwrap(), 27_015);
        assert_eq!(time_of_day(p, 2, "depart", "90").unwrap(), 90);
        let e = time_of_day(p, 2, "depart", "7h30").unwrap_err().to_string();
        assert!(e.starts_with("t.csv:2: depart: expected"), "{e}");
        assert!(time_of_day(p, 2, "depart", "07:75").is_err());
        assert_eq!(time_of_day(p, 2, "depart", "25:00").unwrap(), 90_000);
        let e = time_of_day(p, 2, "depart", "99999999999")
            .unwrap_err()
            .to_string();
        assert!(e.contains("00:00 to 48:00"), "{e}");
        assert!(time_of_day(p, 2, "depart", "NaN").is_err());
    }

    #[test]
    fn quoted_fields_crlf_and_a_bom_read_as_plain_csv() {
        let dir = std::env::temp_dir().join(format!("citytwin-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("trips.csv");
        std::fs::write(
            &path,
            "\u{feff}id,depart,from_node,to_node\r\n# a comment\r\n\"a,1\",07:00:00, 1 ,2\r\n\r\nb,07:01,3,4\r\n",
        )
        .unwrap();
        let t = Table::read(&path).unwrap();
        assert_eq!(t.column("id"), Some(0));
        assert_eq!(
            t.rows[0],
            (
                3,
                vec!["a,1".into(), "07:00:00".into(), "1".into(), "2".into()]
            )
        );
        assert_eq!(t.rows[1].0, 5);
        std::fs::write(&path, "id,depart\nx,07:00,3\n").unwrap();
        let e = Table::read(&path).unwrap_err().to_string();
        assert!(
            e.ends_with("trips.csv:2: 3 fields, expected 2 (id,depart)"),
            "{e}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
