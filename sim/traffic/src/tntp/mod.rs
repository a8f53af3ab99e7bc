//! The TNTP formats of "Transportation Networks for Research" (github.com/bstabler/TransportationNetworks):
//! `_net.tntp` links with BPR parameters, `_trips.tntp` OD demand, `_flow.tntp` link flows, and
//! the generalised-cost weights that a network's README states.

use std::path::{Path, PathBuf};
use thiserror::Error;

mod net;

pub use net::read_net;

#[derive(Debug, Error)]
pub enum TntpError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The largest network a TNTP file may declare: a hundred times the largest of the TNTP
/// collection (Chicago-Regional, 12,982 nodes and 39,018 links), far past any region.
pub const MAX_NODES: u32 = 2_000_000;
pub const MAX_LINKS: u32 = 10_000_000;
/// Memory a link may cost in an assignment, an upper estimate (network, flows, costs,
/// shortest-path trees and path sets).
const BYTES_PER_LINK: u64 = 400;
/// Zones, whose OD pairs assignment keeps (Berlin-Center has 865).
pub const MAX_ZONES: u32 = 100_000;
/// The most trips one OD pair may carry in a day (more than any city's whole day).
pub const MAX_OD_FLOW: f64 = 1e8;

/// One link of a TNTP network; node numbers are the file's (1-based).
#[derive(Clone, Debug, PartialEq)]
pub struct TntpLink {
    pub from: u32,
    pub to: u32,
    pub capacity: f64,
    pub length: f64,
    pub free_flow_time: f64,
    pub b: f64,
    pub power: f64,
    pub speed: f64,
    pub toll: f64,
    pub link_type: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TntpNet {
    pub zones: u32,
    pub nodes: u32,
    /// Nodes numbered below this are zone centroids that paths may not pass through.
    pub first_thru_node: u32,
    pub links: Vec<TntpLink>,
}

/// OD demand: `(origin, destination, flow)` in file order, zero flows dropped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TntpTrips {
    pub zones: u32,
    pub od: Vec<(u32, u32, f64)>,
}

impl TntpTrips {
    pub fn total(&self) -> f64 {
        self.od.iter().map(|(_, _, f)| f).sum()
    }
}

/// Minutes added per unit of toll and of length, as a network's README defines them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CostWeights {
    pub toll: f64,
    pub distance: f64,
}

fn read(path: &Path) -> Result<String, TntpError> {
    std::fs::read_to_string(path).map_err(|source| TntpError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The metadata block (`<KEY> value` lines) and the line number where data starts.
fn metadata(path: &Path, text: &str) -> Result<(Vec<(String, String)>, usize), TntpError> {
    let mut meta = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('~') {
            continue;
        }
        let Some(rest) = line.strip_prefix('<') else {
            return Err(TntpError::Parse {
                path: path.to_path_buf(),
                line: i + 1,
                message: "expected a <METADATA> line or <END OF METADATA>; is this a TNTP file?"
                    .into(),
            });
        };
        let Some((key, value)) = rest.split_once('>') else {
            return Err(TntpError::Parse {
                path: path.to_path_buf(),
                line: i + 1,
                message: "unclosed <metadata key>".into(),
            });
        };
        if key == "END OF METADATA" {
            return Ok((meta, i + 1));
        }
        meta.push((key.to_string(), value.trim().to_string()));
    }
    Err(TntpError::Invalid {
        path: path.to_path_buf(),
        message: "no <END OF METADATA> line: empty or truncated TNTP file".into(),
    })
}

/// The data lines after the metadata: `(1-based line number, trimmed text)`, comments skipped.
fn data_lines(text: &str, start: usize) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .skip(start)
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('~'))
}

fn meta_u32(path: &Path, meta: &[(String, String)], key: &str) -> Result<Option<u32>, TntpError> {
    let Some((_, v)) = meta.iter().find(|(k, _)| k == key) else {
        return Ok(None);
    };
    v.parse().map(Some).map_err(|_| TntpError::Invalid {
        path: path.to_path_buf(),
        message: format!("<{key}> should be a whole number, found {v:?}"),
    })
}

pub fn read_trips(path: &Path) -> Result<TntpTrips, TntpError> {
    let text = read(path)?;
    let (meta, start) = metadata(path, &text)?;
    let zones = meta_u32(path, &meta, "NUMBER OF ZONES")?.ok_or_else(|| TntpError::Invalid {
        path: path.to_path_buf(),
        message: "missing <NUMBER OF ZONES> in the metadata".into(),
    })?;
    if !(1..=MAX_ZONES).contains(&zones) {
        return Err(TntpError::Invalid {
            path: path.to_path_buf(),
            message: format!("<NUMBER OF ZONES> {zones}: expected 1 to {MAX_ZONES}"),
        });
    }
    let mut trips = TntpTrips {
        zones,
        od: Vec::new(),
    };
    let mut origin: Option<u32> = None;
    let mut origin_lines = std::collections::BTreeMap::new();
    for (line_no, line) in data_lines(&text, start) {
        let err = |message: String| TntpError::Parse {
            path: path.to_path_buf(),
            line: line_no,
            message,
        };
        let zone = |s: &str| -> Result<u32, TntpError> {
            s.trim()
                .parse::<u32>()
                .ok()
                .filter(|z| (1..=zones).contains(z))
                .ok_or_else(|| {
                    err(format!(
                        "expected a zone number in 1..={zones}, found {s:?}"
                    ))
                })
        };
        if let Some(rest) = line.strip_prefix("Origin") {
            let o = zone(rest)?;
            if let Some(first) = origin_lines.insert(o, line_no) {
                return Err(err(format!(
                    "Origin {o} again (first at line {first}): one block per origin"
                )));
            }
            origin = Some(o);
            continue;
        }
        let Some(o) = origin else {
            return Err(err("expected an `Origin N` line before the demand".into()));
        };
        for entry in line.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((d, flow)) = entry.split_once(':') else {
                return Err(err(format!(
                    "expected `destination : flow;`, found {entry:?}"
                )));
            };
            let flow: f64 = flow
                .trim()
                .parse()
                .ok()
                .filter(|f: &f64| f.is_finite() && (0.0..=MAX_OD_FLOW).contains(f))
                .ok_or_else(|| {
                    err(format!(
                        "flow should be a number from 0 to {MAX_OD_FLOW:e}, found {flow:?}"
                    ))
                })?;
            let d = zone(d)?;
            if flow > 0.0 && d != o {
                trips.od.push((o, d, flow));
            }
        }
    }
    check_total(path, &meta, &text, &trips)?;
    Ok(trips)
}

/// `<TOTAL OD FLOW>`, where given, must match the blocks (to 0.1%, as the collection's files
/// print totals rounded): a mismatch means lost or extra lines.
fn check_total(
    path: &Path,
    meta: &[(String, String)],
    text: &str,
    trips: &TntpTrips,
) -> Result<(), TntpError> {
    let Some((_, declared)) = meta.iter().find(|(k, _)| k == "TOTAL OD FLOW") else {
        return Ok(());
    };
    let invalid = |message: String| TntpError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let declared: f64 = declared
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| {
            invalid(format!(
                "<TOTAL OD FLOW> should be a number, found {declared:?}"
            ))
        })?;
    // intrazonal flows count in the declared total but are not trips between zones
    let intrazonal: f64 = intrazonal_flow(text);
    let found = trips.total() + intrazonal;
    if (found - declared).abs() > 1e-3 * declared.abs().max(1.0) {
        return Err(invalid(format!(
            "<TOTAL OD FLOW> says {declared} but the blocks sum to {found} (truncated or edited?)"
        )));
    }
    Ok(())
}

/// The flows from a zone to itself, which [`read_trips`] drops.
fn intrazonal_flow(text: &str) -> f64 {
    let mut origin = None;
    let mut sum = 0.0;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Origin") {
            origin = rest.trim().parse::<u32>().ok();
            continue;
        }
        for entry in line.split(';') {
            if let Some((d, f)) = entry.split_once(':')
                && d.trim().parse::<u32>().ok() == origin
            {
                sum += f.trim().parse::<f64>().unwrap_or(0.0);
            }
        }
    }
    sum
}

/// A `_flow.tntp` file: `(from, to, volume, cost)` rows.
pub fn read_flows(path: &Path) -> Result<Vec<(u32, u32, f64, f64)>, TntpError> {
    let text = read(path)?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() || fields[0] == "From" || fields[0].starts_with('~') {
            continue;
        }
        let parse = || -> Option<(u32, u32, f64, f64)> {
            Some((
                fields.first()?.parse().ok()?,
                fields.get(1)?.parse().ok()?,
                fields.get(2)?.parse().ok()?,
                fields.get(3)?.parse().ok()?,
            ))
        };
        rows.push(parse().ok_or_else(|| TntpError::Parse {
            path: path.to_path_buf(),
            line: i + 1,
            message: "expected `from to volume cost`".into(),
        })?);
    }
    Ok(rows)
}

/// The "Generalized Cost Weights" section of a network's README (`Toll: 0.02 minutes/cent`,
/// `Distance: 0.04 minutes/mile`); missing or blank values are 0.
pub fn cost_weights_from_readme(text: &str) -> CostWeights {
    let mut weights = CostWeights::default();
    let mut in_section = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            in_section = line
                .to_ascii_lowercase()
                .contains("generalized cost weights");
            continue;
        }
        if !in_section {
            continue;
        }
        let value = |rest: &str| {
            rest.split_whitespace()
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        if let Some(rest) = line.strip_prefix("Toll:") {
            weights.toll = value(rest);
        } else if let Some(rest) = line.strip_prefix("Distance:") {
            weights.distance = value(rest);
        }
    }
    weights
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    const NET: &str = "<NUMBER OF ZONES> 2\n<NUMBER OF NODES> 3\n<FIRST THRU NODE> 3\n\
<NUMBER OF LINKS> 2\n<END OF METADATA>\n\n~ init term cap len fft b power speed toll type ;\n\
\t1\t3\t100\t1\t2\t0.15\t4\t0\t0\t1\t;\n\t3\t2\t100\t1\t2\t0.15\t4\t0\t5\t1\t;\n";

    #[test]
    fn reads_a_network_and_checks_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let net = read_net(&write(&dir, "ok_net.tntp", NET)).unwrap();
        assert_eq!((net.zones, net.nodes, net.first_thru_node), (2, 3, 3));
        assert_eq!(net.links[1].toll, 5.0);
        let cut = NET.rsplit_once("\t3\t2").unwrap().0;
        let e = read_net(&write(&dir, "cut_net.tntp", cut))
            .unwrap_err()
            .to_string();
        assert!(e.contains("says 2 but the file has 1"), "{e}");
        let bad = NET.replace("\t3\t2\t100", "\t3\t9\t100");
        let e = read_net(&write(&dir, "bad_net.tntp", &bad))
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad_net.tntp:9: term_node"), "{e}");
    }

    #[test]
    fn reads_trips_and_names_the_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let text = "<NUMBER OF ZONES> 2\n<TOTAL OD FLOW> 30\n<END OF METADATA>\n\nOrigin 1\n\
    1 :  0.0;  2 : 30.0;\nOrigin 2\n    1 : x;\n";
        let e = read_trips(&write(&dir, "t.tntp", text))
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.tntp:8: flow should be a number"), "{e}");
        let good = read_trips(&write(&dir, "t2.tntp", &text.replace(": x;", ": 0;"))).unwrap();
        assert_eq!(good.od, vec![(1, 2, 30.0)]);
    }

    #[test]
    fn nonsense_headers_and_costs_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "huge_net.tntp",
                NET.replace("NODES> 3", "NODES> 2000000000"),
                "<NUMBER OF NODES> 2000000000: expected 1 to",
            ),
            (
                "links_net.tntp",
                NET.replace("LINKS> 2", "LINKS> 4000000000"),
                "<NUMBER OF LINKS> 4000000000: at most",
            ),
            (
                "thru_net.tntp",
                NET.replace("THRU NODE> 3", "THRU NODE> 2"),
                "<FIRST THRU NODE> 2: expected 1",
            ),
            (
                "toll_net.tntp",
                NET.replace("\t0\t5\t1", "\t0\t-5\t1"),
                "toll_net.tntp:9: capacity, length, free_flow_time, b and toll must not be negative",
            ),
            (
                "power_net.tntp",
                NET.replace("0.15\t4\t0\t5", "0.15\t0\t0\t5"),
                "power: expected a BPR exponent",
            ),
            (
                "cap_net.tntp",
                NET.replace("\t3\t2\t100", "\t3\t2\t1e-300"),
                "capacity of at least 0.001",
            ),
        ];
        for (name, text, expect) in cases {
            let e = read_net(&write(&dir, name, &text)).unwrap_err().to_string();
            assert!(e.contains(expect), "{name}: {e}");
        }
    }

    #[test]
    fn od_totals_duplicate_origins_and_absurd_flows_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let text = "<NUMBER OF ZONES> 2\n<TOTAL OD FLOW> 40\n<END OF METADATA>\n\nOrigin 1\n\
    1 :  10.0;  2 : 30.0;\nOrigin 2\n    1 : 0;\n";
        let ok = read_trips(&write(&dir, "tot.tntp", text))
            .expect("intrazonal flow counts in the total");
        assert_eq!(ok.total(), 30.0);
        let e = read_trips(&write(&dir, "tot2.tntp", &text.replace("> 40", "> 400")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("says 400 but the blocks sum to 40"), "{e}");
        let e = read_trips(&write(
            &dir,
            "dup.tntp",
            &text.replace("Origin 2", "Origin 1"),
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("dup.tntp:7: Origin 1 again (first at line 5)"),
            "{e}"
        );
        let e = read_trips(&write(&dir, "big.tntp", &text.replace("30.0", "1e15")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("flow should be a number from 0 to"), "{e}");
    }

    #[test]
    fn readme_weights() {
        let readme = "## Generalized Cost Weights\nToll: 0.02 minutes/cent\nDistance: 0.04 minutes/mile\n\n## Solutions\nToll: 9\n";
        assert_eq!(
            cost_weights_from_readme(readme),
            CostWeights {
                toll: 0.02,
                distance: 0.04
            }
        );
        assert_eq!(
            cost_weights_from_readme("## Generalized Cost Weights\nToll: \nDistance: \n"),
            CostWeights::default()
        );
    }
}
