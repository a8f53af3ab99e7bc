//! Tables of results (time series, per-link bins) written as CSV for spreadsheets and as
//! Parquet for pandas, DuckDB, Polars and Arrow: one table, both files, the same columns.

mod fixed;
mod parquet_file;

pub use fixed::write_fixed;

use citytwin_city::calendar::{SimDay, rfc3339_offset};
use parquet_file::ParquetFile;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

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
    fn extend(&mut self, more: &Values) {
        match (self, more) {
            (Values::Text(v), Values::Text(m)) => v.extend_from_slice(m),
            (Values::Int(v), Values::Int(m)) => v.extend_from_slice(m),
            (Values::Float { values, .. }, Values::Float { values: m, .. }) => {
                values.extend_from_slice(m)
            }
            (Values::MaybeFloat(v), Values::MaybeFloat(m)) => v.extend_from_slice(m),
            (Values::Time { unix, .. }, Values::Time { unix: m, .. }) => unix.extend_from_slice(m),
            // (chunks of other columns are refused before they get here)
            _ => {}
        }
    }

    fn rows_from(&self, row: usize) -> Values {
        match self {
            Values::Text(v) => Values::Text(v[row..].to_vec()),
            Values::Int(v) => Values::Int(v[row..].to_vec()),
            Values::Float { values, decimals } => Values::Float {
                values: values[row..].to_vec(),
                decimals: *decimals,
            },
            Values::MaybeFloat(v) => Values::MaybeFloat(v[row..].to_vec()),
            Values::Time { unix, utc_offset_s } => Values::Time {
                unix: unix[row..].to_vec(),
                utc_offset_s: *utc_offset_s,
            },
        }
    }

    /// Row `row`'s CSV field, appended to `out`.
    fn write_field(&self, row: usize, out: &mut String) {
        use std::fmt::Write;
        // writing to a String cannot fail
        let _ = match self {
            Values::Text(v) => out.write_str(&v[row]),
            Values::Int(v) => write!(out, "{}", v[row]),
            Values::Float { values, decimals } => {
                write_fixed(out, values[row], *decimals);
                Ok(())
            }
            Values::MaybeFloat(v) => v[row].map_or(Ok(()), |x| write!(out, "{x}")),
            Values::Time { unix, utc_offset_s } => {
                out.write_str(&rfc3339_offset(unix[row], *utc_offset_s))
            }
        };
    }

    fn len(&self) -> usize {
        match self {
            Values::Text(v) => v.len(),
            Values::Int(v) => v.len(),
            Values::Float { values, .. } => values.len(),
            Values::MaybeFloat(v) => v.len(),
            Values::Time { unix, .. } => unix.len(),
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
    #[error("table {table}: a chunk with other columns than the table's")]
    Shape { table: String },
}

impl TableError {
    fn write(path: &Path, e: &dyn std::fmt::Display) -> Self {
        TableError::Write {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
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

    /// Row `row`'s fields as CSV writes them.
    fn record(&self, row: usize) -> Vec<String> {
        let field = |c: &Column| {
            let mut text = String::new();
            c.values.write_field(row, &mut text);
            text
        };
        self.columns.iter().map(field).collect()
    }

    /// Appends `more`'s rows (the same columns).
    fn extend(&mut self, more: &Table) {
        for (column, more) in self.columns.iter_mut().zip(&more.columns) {
            column.values.extend(&more.values);
        }
    }

    /// Its rows from `row` on.
    fn rows_from(&self, row: usize) -> Table {
        Table {
            name: self.name.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| Column {
                    name: c.name.clone(),
                    values: c.values.rows_from(row),
                })
                .collect(),
        }
    }

    fn header(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// CSV with a header, quoted by the csv crate where a field needs it.
    pub fn to_csv(&self) -> String {
        csv_text(self.header(), (0..self.rows()).map(|row| self.record(row)))
    }

    pub fn write_csv(&self, path: &Path) -> Result<(), TableError> {
        let mut csv = CsvFile::create(path, self.header())?;
        csv.append(self)?;
        csv.finish()
    }

    /// Parquet (Snappy): text as UTF-8 strings, integers as INT64, floats as DOUBLE.
    pub fn write_parquet(&self, path: &Path) -> Result<(), TableError> {
        let mut parquet = ParquetFile::create(path, self)?;
        parquet.append(self)?;
        parquet.finish()
    }
}

/// `<name>.csv`, and `<name>.parquet` when asked, written a chunk of rows at a time: a
/// regional day's per-link bins are never all in memory.
#[derive(Debug)]
pub struct TableWriter {
    name: String,
    /// Each column's name and kind of values: every chunk must have them.
    shape: Vec<(String, std::mem::Discriminant<Values>)>,
    csv: CsvFile,
    parquet: Option<ParquetFile>,
}

impl TableWriter {
    /// The files of a table shaped as `shape` (its name and columns; its rows are not written).
    pub fn create(dir: &Path, shape: &Table, parquet: bool) -> Result<Self, TableError> {
        let csv = CsvFile::create(&dir.join(format!("{}.csv", shape.name)), shape.header())?;
        let parquet = parquet
            .then(|| ParquetFile::create(&dir.join(format!("{}.parquet", shape.name)), shape))
            .transpose()?;
        Ok(TableWriter {
            name: shape.name.clone(),
            shape: TableWriter::shape_of(shape),
            csv,
            parquet,
        })
    }

    fn shape_of(table: &Table) -> Vec<(String, std::mem::Discriminant<Values>)> {
        let columns = table.columns.iter();
        columns
            .map(|c| (c.name.clone(), std::mem::discriminant(&c.values)))
            .collect()
    }

    /// Appends a chunk's rows: the same columns as the shape, or an error.
    pub fn append(&mut self, chunk: &Table) -> Result<(), TableError> {
        if TableWriter::shape_of(chunk) != self.shape {
            return Err(TableError::Shape {
                table: self.name.clone(),
            });
        }
        self.csv.append(chunk)?;
        if let Some(parquet) = &mut self.parquet {
            parquet.append(chunk)?;
        }
        Ok(())
    }

    pub fn finish(self) -> Result<(), TableError> {
        self.csv.finish()?;
        self.parquet.map_or(Ok(()), ParquetFile::finish)
    }
}

/// CSV rows streamed to a file.
#[derive(Debug)]
pub struct CsvFile {
    path: PathBuf,
    out: csv::Writer<BufWriter<File>>,
}

impl CsvFile {
    pub fn create(path: &Path, header: Vec<String>) -> Result<Self, TableError> {
        let file = File::create(path).map_err(|e| TableError::write(path, &e))?;
        let out = csv::WriterBuilder::new()
            .flexible(false)
            .from_writer(BufWriter::new(file));
        let mut csv = CsvFile {
            path: path.to_path_buf(),
            out,
        };
        csv.row(&header)?;
        Ok(csv)
    }

    pub fn row(&mut self, fields: &[String]) -> Result<(), TableError> {
        self.out
            .write_record(fields)
            .map_err(|e| TableError::write(&self.path, &e))
    }

    /// Writes one field of the row being written; [`CsvFile::end_row`] ends the row.
    pub fn field(&mut self, text: &str) -> Result<(), TableError> {
        self.out
            .write_field(text)
            .map_err(|e| TableError::write(&self.path, &e))
    }

    pub fn end_row(&mut self) -> Result<(), TableError> {
        self.out
            .write_record(None::<&[u8]>)
            .map_err(|e| TableError::write(&self.path, &e))
    }

    /// Writes `chunk`'s rows a field at a time through one buffer. A chunk of per-link bins
    /// shares one time stamp: it is written once and repeated.
    fn append(&mut self, chunk: &Table) -> Result<(), TableError> {
        let mut field = String::new();
        let mut last_stamp: Option<((i64, i32), String)> = None;
        for row in 0..chunk.rows() {
            for column in &chunk.columns {
                field.clear();
                match &column.values {
                    Values::Time { unix, utc_offset_s } => {
                        let key = (unix[row], *utc_offset_s);
                        match &last_stamp {
                            Some((at, text)) if *at == key => field.push_str(text),
                            _ => {
                                column.values.write_field(row, &mut field);
                                last_stamp = Some((key, field.clone()));
                            }
                        }
                    }
                    values => values.write_field(row, &mut field),
                }
                self.field(&field)?;
            }
            self.end_row()?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<(), TableError> {
        self.out
            .flush()
            .map_err(|e| TableError::write(&self.path, &e))
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
        let scratch = tempfile::tempdir().unwrap();
        let path = scratch.path().join("times.parquet");
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
        let scratch = tempfile::tempdir().unwrap();
        let path = scratch.path().join("table.parquet");
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
        let scratch = tempfile::tempdir().unwrap();
        let path = scratch.path().join("maybe.parquet");
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
    }

    #[test]
    fn a_table_written_in_chunks_is_the_table_written_whole() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path();
        let (whole, chunked) = (dir.join("whole"), dir.join("chunked"));
        std::fs::create_dir_all(&whole).unwrap();
        std::fs::create_dir_all(&chunked).unwrap();
        let rows = parquet_file::ROW_GROUP + 7;
        let table = |range: std::ops::Range<usize>| {
            Table::new(
                "bins",
                vec![
                    Column::int("i", range.clone().map(|i| i as i64).collect()),
                    Column::maybe_float(
                        "x",
                        range.map(|i| (i % 3 > 0).then_some(i as f64)).collect(),
                    ),
                ],
            )
            .unwrap()
        };
        let mut writer = TableWriter::create(&whole, &table(0..0), true).unwrap();
        writer.append(&table(0..rows)).unwrap();
        writer.finish().unwrap();
        let mut writer = TableWriter::create(&chunked, &table(0..0), true).unwrap();
        let mut start = 0;
        for size in (1..).map(|k| 1000 * k) {
            let end = (start + size).min(rows);
            writer.append(&table(start..end)).unwrap();
            start = end;
            if end == rows {
                break;
            }
        }
        let other = Table::new("bins", vec![Column::int("i", vec![1])]).unwrap();
        assert!(
            writer
                .append(&other)
                .unwrap_err()
                .to_string()
                .contains("other columns")
        );
        writer.finish().unwrap();
        for file in ["bins.csv", "bins.parquet"] {
            let read = |d: &Path| std::fs::read(d.join(file)).unwrap();
            assert!(read(&whole) == read(&chunked), "{file}");
        }
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
