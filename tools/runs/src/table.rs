//! Tables of results (time series, per-link bins) written as CSV for spreadsheets and as
//! Parquet for pandas, DuckDB, Polars and Arrow: one table, both files, the same columns.

use citytwin_city::calendar::{SimDay, rfc3339_offset};
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows per Parquet row group: large enough for good compression, small enough to stream.
const ROW_GROUP: usize = 1 << 20;

#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    Text(Vec<String>),
    Int(Vec<i64>),
    /// Written to CSV with `decimals` digits; Parquet keeps the full double.
    Float {
        values: Vec<f64>,
        decimals: usize,
    },
    /// Figures that may be missing: written to CSV as Rust's shortest exact form (empty when
    /// missing), to Parquet as an optional DOUBLE (null when missing).
    MaybeFloat(Vec<Option<f64>>),
    /// Instants, as Unix seconds: written to CSV as RFC 3339 at the day's UTC offset
    /// (`2016-12-14T08:00:00+08:00`), to Parquet as a UTC timestamp (INT64 milliseconds), so
    /// pandas, DuckDB and Arrow read them as times, not text.
    Time {
        unix: Vec<i64>,
        utc_offset_s: i32,
    },
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Text(v) => v.len(),
            Values::Int(v) => v.len(),
            Values::Float { values, .. } => values.len(),
            Values::MaybeFloat(v) => v.len(),
            Values::Time { unix, .. } => unix.len(),
        }
    }

    fn parquet_type(&self) -> &'static str {
        match self {
            Values::Text(_) => "BYTE_ARRAY",
            Values::Int(_) | Values::Time { .. } => "INT64",
            Values::Float { .. } | Values::MaybeFloat(_) => "DOUBLE",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub values: Values,
}

impl Column {
    pub fn text(name: &str, values: Vec<String>) -> Column {
        Column {
            name: name.into(),
            values: Values::Text(values),
        }
    }

    pub fn int(name: &str, values: Vec<i64>) -> Column {
        Column {
            name: name.into(),
            values: Values::Int(values),
        }
    }

    pub fn float(name: &str, decimals: usize, values: Vec<f64>) -> Column {
        Column {
            name: name.into(),
            values: Values::Float { values, decimals },
        }
    }

    /// Simulated times of `day` (seconds after its midnight).
    pub fn time(name: &str, day: &SimDay, sim_seconds: impl IntoIterator<Item = u32>) -> Column {
        Column {
            name: name.into(),
            values: Values::Time {
                unix: sim_seconds.into_iter().map(|s| day.unix(s)).collect(),
                utc_offset_s: day.utc_offset_s,
            },
        }
    }

    pub fn maybe_float(name: &str, values: Vec<Option<f64>>) -> Column {
        Column {
            name: name.into(),
            values: Values::MaybeFloat(values),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("table {table}: column {column} has {found} rows, expected {expected}")]
    Ragged {
        table: String,
        column: String,
        found: usize,
        expected: usize,
    },
    #[error("writing {path}: {message}")]
    Write { path: PathBuf, message: String },
}

/// Columns of equal length.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
}

impl Table {
    pub fn new(name: &str, columns: Vec<Column>) -> Result<Table, TableError> {
        let expected = columns.first().map_or(0, |c| c.values.len());
        for c in &columns {
            if c.values.len() != expected {
                return Err(TableError::Ragged {
                    table: name.into(),
                    column: c.name.clone(),
                    found: c.values.len(),
                    expected,
                });
            }
        }
        Ok(Table {
            name: name.into(),
            columns,
        })
    }

    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }

    /// CSV with a header, quoted by the csv crate where a field needs it.
    pub fn to_csv(&self) -> String {
        let header = self.columns.iter().map(|c| c.name.clone()).collect();
        let rows = (0..self.rows()).map(|row| {
            self.columns
                .iter()
                .map(|c| match &c.values {
                    Values::Text(v) => v[row].clone(),
                    Values::Int(v) => v[row].to_string(),
                    Values::Float { values, decimals } => format!("{:.*}", decimals, values[row]),
                    Values::MaybeFloat(v) => v[row].map_or(String::new(), |x| x.to_string()),
                    Values::Time { unix, utc_offset_s } => rfc3339_offset(unix[row], *utc_offset_s),
                })
                .collect()
        });
        csv_text(header, rows)
    }

    pub fn write_csv(&self, path: &Path) -> Result<(), TableError> {
        std::fs::write(path, self.to_csv()).map_err(|e| TableError::Write {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Parquet (Snappy): text as UTF-8 strings, integers as INT64, floats as DOUBLE.
    pub fn write_parquet(&self, path: &Path) -> Result<(), TableError> {
        let failed = |e: &dyn std::fmt::Display| TableError::Write {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let fields: String = self
            .columns
            .iter()
            .map(|c| {
                let logical = match c.values {
                    Values::Text(_) => " (UTF8)",
                    Values::Time { .. } => " (TIMESTAMP(MILLIS,true))",
                    _ => "",
                };
                let repetition = if matches!(c.values, Values::MaybeFloat(_)) {
                    "OPTIONAL"
                } else {
                    "REQUIRED"
                };
                format!(
                    "{repetition} {} {}{logical};",
                    c.values.parquet_type(),
                    parquet_name(&c.name)
                )
            })
            .collect();
        let schema = parse_message_type(&format!(
            "message {} {{ {fields} }}",
            parquet_name(&self.name)
        ))
        .map_err(|e| failed(&e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("citytwin {}", env!("CARGO_PKG_VERSION")))
            .build();
        let file = std::fs::File::create(path).map_err(|e| failed(&e))?;
        let mut writer = SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props))
            .map_err(|e| failed(&e))?;
        let rows = self.rows();
        let mut start = 0;
        // an empty table still gets its schema and one empty row group
        while start < rows || (rows == 0 && start == 0) {
            let end = (start + ROW_GROUP).min(rows);
            let mut group = writer.next_row_group().map_err(|e| failed(&e))?;
            for c in &self.columns {
                let Some(mut col) = group.next_column().map_err(|e| failed(&e))? else {
                    break;
                };
                match &c.values {
                    Values::Text(v) => {
                        let bytes: Vec<ByteArray> = v[start..end]
                            .iter()
                            .map(|s| ByteArray::from(s.as_str()))
                            .collect();
                        col.typed::<ByteArrayType>()
                            .write_batch(&bytes, None, None)
                            .map_err(|e| failed(&e))?;
                    }
                    Values::Int(v) => {
                        col.typed::<Int64Type>()
                            .write_batch(&v[start..end], None, None)
                            .map_err(|e| failed(&e))?;
                    }
                    Values::Time { unix, .. } => {
                        let millis: Vec<i64> = unix[start..end].iter().map(|s| s * 1000).collect();
                        col.typed::<Int64Type>()
                            .write_batch(&millis, None, None)
                            .map_err(|e| failed(&e))?;
                    }
                    Values::Float { values, .. } => {
                        col.typed::<DoubleType>()
                            .write_batch(&values[start..end], None, None)
                            .map_err(|e| failed(&e))?;
                    }
                    Values::MaybeFloat(v) => {
                        let rows = &v[start..end];
                        let present: Vec<f64> = rows.iter().flatten().copied().collect();
                        let defined: Vec<i16> =
                            rows.iter().map(|x| i16::from(x.is_some())).collect();
                        col.typed::<DoubleType>()
                            .write_batch(&present, Some(&defined), None)
                            .map_err(|e| failed(&e))?;
                    }
                }
                col.close().map_err(|e| failed(&e))?;
            }
            group.close().map_err(|e| failed(&e))?;
            if end == rows {
                break;
            }
            start = end;
        }
        writer.close().map_err(|e| failed(&e))?;
        Ok(())
    }
}

/// CSV text of a header and rows (RFC 4180, LF line ends), written by the csv crate: a field
/// holding a comma, a quote or a line break is quoted.
pub fn csv_text(header: Vec<String>, rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = csv::WriterBuilder::new()
        .flexible(false)
        .from_writer(Vec::new());
    // records go to memory: the only failure would be a row of another length, a bug
    for record in std::iter::once(header).chain(rows) {
        out.write_record(&record)
            .expect("every row of a table has its header's length");
    }
    let bytes = out.into_inner().expect("CSV into memory cannot fail");
    String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
}

/// Parquet's schema parser takes plain identifiers.
fn parquet_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::RowAccessor;

    fn sample() -> Table {
        Table::new(
            "vitals",
            vec![
                Column::text("time", vec!["08:00:00".into(), "08:05:00".into()]),
                Column::text("scope", vec!["city".into(), "锦江区, east".into()]),
                Column::int("count", vec![3, -1]),
                Column::float("value", 2, vec![1.23456, 7.0]),
            ],
        )
        .unwrap()
    }

    #[test]
    fn times_are_rfc3339_with_the_days_offset_in_csv_and_utc_timestamps_in_parquet() {
        let day = SimDay::in_zone("2016-12-14".parse().unwrap(), Some("Asia/Shanghai")).unwrap();
        let table = Table::new("t", vec![Column::time("at", &day, [8 * 3600, 24 * 3600])]).unwrap();
        assert_eq!(
            table.to_csv(),
            "at\n2016-12-14T08:00:00+08:00\n2016-12-15T00:00:00+08:00\n"
        );
        let path =
            std::env::temp_dir().join(format!("citytwin-times-{}.parquet", std::process::id()));
        table.write_parquet(&path).unwrap();
        let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        let column = reader.metadata().file_metadata().schema_descr().column(0);
        assert_eq!(
            format!("{:?}", column.logical_type_ref()),
            "Some(Timestamp { is_adjusted_to_u_t_c: true, unit: MILLIS })"
        );
        let row = reader.get_row_iter(None).unwrap().next().unwrap().unwrap();
        // 08:00 in Chengdu is 00:00 UTC
        let expected = citytwin_city::calendar::rfc3339_seconds("2016-12-14T00:00:00Z").unwrap();
        assert_eq!(row.get_timestamp_millis(0).unwrap(), expected * 1000);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn csv_rounds_floats_and_quotes_text() {
        assert_eq!(
            sample().to_csv(),
            "time,scope,count,value\n08:00:00,city,3,1.23\n08:05:00,\"锦江区, east\",-1,7.00\n"
        );
    }

    #[test]
    fn parquet_reads_back_the_same_rows() {
        let path =
            std::env::temp_dir().join(format!("citytwin-table-{}.parquet", std::process::id()));
        sample().write_parquet(&path).unwrap();
        let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        assert_eq!(reader.metadata().file_metadata().num_rows(), 2);
        let rows: Vec<_> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(rows[1].get_string(1).unwrap(), "锦江区, east");
        assert_eq!(rows[1].get_long(2).unwrap(), -1);
        assert_eq!(rows[0].get_double(3).unwrap(), 1.23456);
        // deterministic: the same table gives the same bytes
        let again = path.with_extension("2.parquet");
        sample().write_parquet(&again).unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            std::fs::read(&again).unwrap()
        );
        let _ = std::fs::remove_file(path);
        let _ = std::fs::remove_file(again);
    }

    #[test]
    fn missing_figures_are_empty_in_csv_and_null_in_parquet() {
        let t = Table::new(
            "results",
            vec![
                Column::int("job", vec![0, 1, 2]),
                Column::maybe_float("bikes.trips", vec![Some(9394.5), None, Some(0.1)]),
            ],
        )
        .unwrap();
        assert_eq!(t.to_csv(), "job,bikes.trips\n0,9394.5\n1,\n2,0.1\n");
        let path =
            std::env::temp_dir().join(format!("citytwin-maybe-{}.parquet", std::process::id()));
        t.write_parquet(&path).unwrap();
        let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        let rows: Vec<_> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(rows[0].get_double(1).unwrap(), 9394.5);
        assert!(rows[1].get_double(1).is_err(), "a missing figure is null");
        assert_eq!(rows[2].get_double(1).unwrap(), 0.1);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn ragged_columns_are_an_error() {
        let e = Table::new(
            "t",
            vec![Column::int("a", vec![1]), Column::int("b", vec![])],
        )
        .unwrap_err();
        assert!(e.to_string().contains("column b has 0 rows, expected 1"));
    }
}
