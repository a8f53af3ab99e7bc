//! The operator's blacklist: bikes that must not be on the street (stolen, recalled, owed a
//! repair). One bike id per line, as `bike42` or `42`; blank lines and `#` comments are
//! ignored. An id outside the fleet or listed twice is an error naming the line.

use citytwin_city::BikeId;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BlacklistError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {found:?}: expected a bike id (bike42 or 42)")]
    NotAnId {
        path: PathBuf,
        line: usize,
        found: String,
    },
    #[error("{path}:{line}: {id} is not in the fleet (ids bike0 to bike{last})")]
    NotInFleet {
        path: PathBuf,
        line: usize,
        id: BikeId,
        last: u32,
    },
    #[error("{path}:{line}: {id} is listed twice (first on line {first})")]
    Twice {
        path: PathBuf,
        line: usize,
        id: BikeId,
        first: usize,
    },
}

/// The blacklisted bikes of a fleet of `fleet` bikes, in file order.
pub fn read_blacklist(path: &Path, fleet: u32) -> Result<Vec<BikeId>, BlacklistError> {
    let text = std::fs::read_to_string(path).map_err(|source| BlacklistError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_blacklist(&text, fleet, path)
}

fn parse_blacklist(text: &str, fleet: u32, path: &Path) -> Result<Vec<BikeId>, BlacklistError> {
    let mut ids = Vec::new();
    let mut first_line = std::collections::HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let entry = raw.split('#').next().unwrap_or("").trim();
        if entry.is_empty() {
            continue;
        }
        let number = entry.strip_prefix("bike").unwrap_or(entry);
        let id = number
            .parse::<u32>()
            .map(BikeId)
            .map_err(|_| BlacklistError::NotAnId {
                path: path.to_path_buf(),
                line,
                found: entry.to_string(),
            })?;
        if id.0 >= fleet {
            return Err(BlacklistError::NotInFleet {
                path: path.to_path_buf(),
                line,
                id,
                last: fleet.saturating_sub(1),
            });
        }
        if let Some(first) = first_line.insert(id, line) {
            return Err(BlacklistError::Twice {
                path: path.to_path_buf(),
                line,
                id,
                first,
            });
        }
        ids.push(id);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<BikeId>, String> {
        parse_blacklist(text, 100, Path::new("black.txt")).map_err(|e| e.to_string())
    }

    #[test]
    fn ids_comments_and_blank_lines() {
        assert_eq!(
            parse("# stolen\nbike7\n\n  42  # recalled\n"),
            Ok(vec![BikeId(7), BikeId(42)])
        );
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(
            parse("bike7\nbike x\n").unwrap_err(),
            "black.txt:2: \"bike x\": expected a bike id (bike42 or 42)"
        );
        assert_eq!(
            parse("bike100\n").unwrap_err(),
            "black.txt:1: bike100 is not in the fleet (ids bike0 to bike99)"
        );
        assert_eq!(
            parse("3\n4\nbike3\n").unwrap_err(),
            "black.txt:3: bike3 is listed twice (first on line 1)"
        );
    }
}
