//! A table's Parquet file (Snappy), written a chunk of rows at a time: text as UTF-8
//! strings, integers as INT64, floats as DOUBLE, instants as UTC millisecond timestamps.

use super::{Table, TableError, Values};
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows per Parquet row group at most: large enough for good compression, small enough to
/// stream.
pub(super) const ROW_GROUP: usize = 1 << 20;

pub(super) struct ParquetFile {
    path: PathBuf,
    writer: SerializedFileWriter<File>,
    groups: usize,
    /// Rows appended and not yet in a row group (fewer than [`ROW_GROUP`]): the row groups
    /// are as large whether the table comes whole or in chunks.
    pending: Option<Table>,
}

impl std::fmt::Debug for ParquetFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetFile")
            .field("path", &self.path)
            .field("groups", &self.groups)
            .finish_non_exhaustive()
    }
}

impl Values {
    fn parquet_type(&self) -> &'static str {
        match self {
            Values::Text(_) => "BYTE_ARRAY",
            Values::Int(_) | Values::Time { .. } => "INT64",
            Values::Float { .. } | Values::MaybeFloat(_) => "DOUBLE",
        }
    }
}

/// Parquet's schema parser takes plain identifiers.
fn parquet_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

impl ParquetFile {
    /// A file with the schema of `shape`'s columns.
    pub(super) fn create(path: &Path, shape: &Table) -> Result<Self, TableError> {
        let failed = |e: &dyn std::fmt::Display| TableError::write(path, e);
        let fields: String = shape
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
            parquet_name(&shape.name)
        ))
        .map_err(|e| failed(&e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("citytwin {}", env!("CARGO_PKG_VERSION")))
            .build();
        let file = File::create(path).map_err(|e| failed(&e))?;
        let writer = SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props))
            .map_err(|e| failed(&e))?;
        Ok(ParquetFile {
            path: path.to_path_buf(),
            writer,
            groups: 0,
            pending: None,
        })
    }

    /// The chunk's rows, written in row groups of [`ROW_GROUP`] rows as they fill.
    pub(super) fn append(&mut self, chunk: &Table) -> Result<(), TableError> {
        let mut pending = match self.pending.take() {
            Some(mut pending) => {
                pending.extend(chunk);
                pending
            }
            None => chunk.clone(),
        };
        let full = pending.rows() / ROW_GROUP * ROW_GROUP;
        for start in (0..full).step_by(ROW_GROUP) {
            self.row_group(&pending, start, start + ROW_GROUP)?;
        }
        if full > 0 {
            pending = pending.rows_from(full);
        }
        self.pending = Some(pending);
        Ok(())
    }

    fn row_group(&mut self, chunk: &Table, start: usize, end: usize) -> Result<(), TableError> {
        let path = self.path.clone();
        let failed = |e: &dyn std::fmt::Display| TableError::write(&path, e);
        let mut group = self.writer.next_row_group().map_err(|e| failed(&e))?;
        for c in &chunk.columns {
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
                    let defined: Vec<i16> = rows.iter().map(|x| i16::from(x.is_some())).collect();
                    col.typed::<DoubleType>()
                        .write_batch(&present, Some(&defined), None)
                        .map_err(|e| failed(&e))?;
                }
            }
            col.close().map_err(|e| failed(&e))?;
        }
        group.close().map_err(|e| failed(&e))?;
        self.groups += 1;
        Ok(())
    }

    pub(super) fn finish(mut self) -> Result<(), TableError> {
        if let Some(rest) = self.pending.take().filter(|t| t.rows() > 0) {
            self.row_group(&rest, 0, rest.rows())?;
        }
        if self.groups == 0 {
            // an empty table still gets its schema and one empty row group
            let shape_less = self.writer.next_row_group();
            let failed = |e: &dyn std::fmt::Display| TableError::write(&self.path, e);
            let mut group = shape_less.map_err(|e| failed(&e))?;
            while let Some(col) = group.next_column().map_err(|e| failed(&e))? {
                col.close().map_err(|e| failed(&e))?;
            }
            group.close().map_err(|e| failed(&e))?;
        }
        let path = self.path;
        self.writer
            .close()
            .map(|_| ())
            .map_err(|e| TableError::write(&path, &e))
    }
}
