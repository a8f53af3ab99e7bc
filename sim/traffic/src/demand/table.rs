//! The plain CSV that demand files use: a header row naming the columns, comma-separated
//! fields without quotes, blank lines and lines starting with `#` ignored.

use super::DemandError;
use std::path::Path;

#[derive(Debug)]
pub struct Table {
    columns: Vec<String>,
    /// (1-based line number, fields)
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    pub fn read(path: &Path) -> Result<Table, DemandError> {
        let text = std::fs::read_to_string(path).map_err(|e| DemandError::io(path, e))?;
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        let (_, header) = lines
            .next()
            .ok_or_else(|| DemandError::parse(path, 1, "empty file: expected a header row"))?;
        let columns: Vec<String> = header.split(',').map(|c| c.trim().to_string()).collect();
        let mut rows = Vec::new();
        for (line, l) in lines {
            let fields: Vec<String> = l.split(',').map(|f| f.trim().to_string()).collect();
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

/// A time of day as seconds after midnight: `HH:MM`, `HH:MM:SS` or plain seconds.
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
            .filter(|s| *s >= 0.0)
            .map(|s| s as u32)
    };
    parsed.ok_or_else(|| {
        DemandError::parse(
            path,
            line,
            format!("{column}: expected a time HH:MM[:SS] or seconds, found {value:?}"),
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
    }
}
