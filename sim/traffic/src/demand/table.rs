//! The CSV that demand files use (RFC 4180, read by the `csv` crate): a header row naming the
//! columns, quoted fields where a field holds a comma or a quote, LF or CRLF line ends, a
//! UTF-8 byte-order mark ignored; blank lines and lines starting with `#` skipped; fields
//! trimmed.

use super::DemandError;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// A demand CSV read row by row: a regional day's trip list or OD matrix is never held whole,
/// neither as text nor as rows of strings.
#[derive(Debug)]
pub struct CsvRows<'p> {
    path: &'p Path,
    columns: Vec<String>,
    reader: csv::Reader<LineFeeds<BufReader<File>>>,
    record: csv::StringRecord,
}

/// One row: its 1-based line and its fields, trimmed.
#[derive(Debug)]
pub struct Row<'r> {
    pub line: usize,
    record: &'r csv::StringRecord,
}

impl Row<'_> {
    pub fn field(&self, column: usize) -> &str {
        self.record.get(column).unwrap_or_default().trim()
    }
}

/// Passes bytes on and notes where their line feeds were, so a record's line is known without
/// the file in memory (csv's own line counts do not see skipped comment and blank lines).
#[derive(Debug)]
struct LineFeeds<R> {
    inner: R,
    passed: u64,
    /// Offsets of the line feeds read ahead of the last line asked for.
    ahead: VecDeque<u64>,
    counted: usize,
}

impl<R: Read> Read for LineFeeds<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let feeds = buf[..n].iter().enumerate().filter(|(_, b)| **b == b'\n');
        self.ahead
            .extend(feeds.map(|(i, _)| self.passed + i as u64));
        self.passed += n as u64;
        Ok(n)
    }
}

impl<R> LineFeeds<R> {
    /// The line of byte `byte` (asked in increasing order).
    fn line_at(&mut self, byte: u64) -> usize {
        while self.ahead.front().is_some_and(|&feed| feed < byte) {
            self.ahead.pop_front();
            self.counted += 1;
        }
        1 + self.counted
    }
}

impl<'p> CsvRows<'p> {
    /// Opens the file and reads its header row.
    pub fn open(path: &'p Path) -> Result<Self, DemandError> {
        let file = File::open(path).map_err(|e| DemandError::io(path, e))?;
        let mut bytes = BufReader::new(file);
        let bom = bytes.fill_buf().map_err(|e| DemandError::io(path, e))?;
        if bom.starts_with(b"\xef\xbb\xbf") {
            bytes.consume(3);
        }
        let lines = LineFeeds {
            inner: bytes,
            passed: 0,
            ahead: VecDeque::new(),
            counted: 0,
        };
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .comment(Some(b'#'))
            .flexible(true)
            .from_reader(lines);
        let mut rows = CsvRows {
            path,
            columns: Vec::new(),
            reader,
            record: csv::StringRecord::new(),
        };
        if rows.advance()?.is_none() {
            return Err(DemandError::parse(
                path,
                1,
                "empty file: expected a header row",
            ));
        }
        rows.columns = rows.record.iter().map(|f| f.trim().to_string()).collect();
        Ok(rows)
    }

    /// Reads the next record; its line.
    fn advance(&mut self) -> Result<Option<usize>, DemandError> {
        let more = self.reader.read_record(&mut self.record).map_err(|e| {
            let line = e
                .position()
                .map_or(1, |p| self.reader.get_mut().line_at(p.byte()));
            let why = match e.kind() {
                csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_string(),
                _ => e.to_string(),
            };
            DemandError::parse(self.path, line, why)
        })?;
        // (the position is past a record's LF, or on the LF of its CRLF)
        let end = self.reader.position().byte().saturating_sub(1);
        Ok(more.then(|| self.reader.get_mut().line_at(end)))
    }

    /// The next row, with as many fields as the header has.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, DemandError> {
        let Some(line) = self.advance()? else {
            return Ok(None);
        };
        if self.record.len() != self.columns.len() {
            return Err(DemandError::parse(
                self.path,
                line,
                format!(
                    "{} fields, expected {} ({})",
                    self.record.len(),
                    self.columns.len(),
                    self.columns.join(",")
                ),
            ));
        }
        Ok(Some(Row {
            line,
            record: &self.record,
        }))
    }

    pub fn path(&self) -> &Path {
        self.path
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The first of `names` that the header has, or an error listing what was expected.
    pub fn require(&self, names: &[&str]) -> Result<usize, DemandError> {
        names.iter().find_map(|n| self.column(n)).ok_or_else(|| {
            DemandError::parse(
                self.path,
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
    fn lines_stay_right_far_into_a_long_file() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path();
        let path = dir.join("od.csv");
        // 3 lines per row (a comment and a blank line between rows), well past csv's buffers
        let mut text = String::from("origin,destination,trips\n");
        for i in 0..30_000 {
            text.push_str(&format!("# row {i}\n\n{i},\"{}\",1\n", i + 1));
        }
        text.push_str("1,2\n");
        std::fs::write(&path, &text).unwrap();
        let mut rows = CsvRows::open(&path).unwrap();
        let mut last = 1;
        let e = loop {
            match rows.next_row() {
                Ok(Some(row)) => {
                    assert_eq!(row.line, last + 3);
                    assert_eq!(row.field(0), ((row.line - 4) / 3).to_string());
                    last = row.line;
                }
                Ok(None) => panic!("the short row was read"),
                Err(e) => break e.to_string(),
            }
        };
        assert_eq!(last, 90_001);
        assert!(
            e.ends_with("od.csv:90002: 2 fields, expected 3 (origin,destination,trips)"),
            "{e}"
        );
    }

    #[test]
    fn quoted_fields_crlf_and_a_bom_read_as_plain_csv() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path();
        let path = dir.join("trips.csv");
        std::fs::write(
            &path,
            "\u{feff}id,depart,from_node,to_node\r\n# a comment\r\n\"a,1\",07:00:00, 1 ,2\r\n\r\nb,07:01,3,4\r\n",
        )
        .unwrap();
        let mut rows = CsvRows::open(&path).unwrap();
        assert_eq!(rows.column("id"), Some(0));
        let row = rows.next_row().unwrap().unwrap();
        let fields: Vec<&str> = (0..4).map(|c| row.field(c)).collect();
        assert_eq!((row.line, fields), (3, vec!["a,1", "07:00:00", "1", "2"]));
        assert_eq!(rows.next_row().unwrap().unwrap().line, 5);
        assert!(rows.next_row().unwrap().is_none());
        std::fs::write(&path, "id,depart\nx,07:00,3\n").unwrap();
        let mut rows = CsvRows::open(&path).unwrap();
        let e = rows.next_row().err().unwrap().to_string();
        assert!(
            e.ends_with("trips.csv:2: 3 fields, expected 2 (id,depart)"),
            "{e}"
        );
    }
}
