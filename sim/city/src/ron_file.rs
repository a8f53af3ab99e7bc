//! Human-edited RON files (scenes, scenarios, sweeps): optional fields may be written without
//! `Some(…)`, and a mistake is an error naming the file, line and column.

use ron::extensions::Extensions;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RonFileError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// Well-formed, but a value is out of its range.
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl RonFileError {
    pub fn invalid(path: &Path, message: impl Into<String>) -> Self {
        RonFileError::Invalid {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

fn options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// Reads and parses a RON file.
pub fn read<T: DeserializeOwned>(path: &Path) -> Result<T, RonFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| RonFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    from_str(&text).map_err(|e| RonFileError::Syntax {
        path: path.to_path_buf(),
        line: e.span.start.line,
        column: e.span.start.col,
        message: e.code.to_string(),
    })
}

pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, ron::error::SpannedError> {
    options().from_str(text)
}

/// Pretty RON that `from_str` reads back.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, ron::Error> {
    options().to_string_pretty(value, ron::ser::PrettyConfig::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Sample {
        #[serde(default)]
        crs: Option<String>,
    }

    #[test]
    fn options_read_with_or_without_some_and_round_trip() {
        let bare: Sample = from_str(r#"(crs: "EPSG:32648")"#).expect("valid");
        let wrapped: Sample = from_str(r#"(crs: Some("EPSG:32648"))"#).expect("valid");
        assert_eq!(bare, wrapped);
        assert_eq!(
            from_str::<Sample>(&to_string(&bare).expect("valid")).expect("valid"),
            bare
        );
    }

    #[test]
    fn a_syntax_error_names_the_line() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path();
        let path = dir.join("bad.ron");
        std::fs::write(&path, "(\n crs: 3,\n)").expect("valid");
        let message = read::<Sample>(&path).expect_err("not RON").to_string();
        assert!(message.contains("bad.ron:2:"), "{message}");
    }
}
