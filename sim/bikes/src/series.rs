//! Real occupancy series (GBFS `station_status` snapshots over time) and the demand they
//! reveal: between two snapshots a station that lost bikes saw at least that many departures,
//! one that gained saw at least that many arrivals. These are lower bounds (a departure and an
//! arrival in the same interval cancel out), which is what an occupancy feed can tell.
//!
//! Jumps of [`REBALANCING_JUMP`] bikes or more between snapshots are operator trucks, not
//! riders, and are counted apart; intervals longer than [`MAX_GAP_S`] (feed outages) are
//! skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A change this large between two snapshots (about 20 minutes apart) is a truck.
pub const REBALANCING_JUMP: u32 = 8;
/// Snapshots further apart than this are a gap in the feed, not an interval.
pub const MAX_GAP_S: i64 = 3600;

#[derive(Debug, thiserror::Error)]
pub enum SeriesError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {field}: expected {expected}, found {found:?}")]
    Field {
        path: PathBuf,
        line: usize,
        field: &'static str,
        expected: &'static str,
        found: String,
    },
    #[error("{path}: header must name {missing} (found {header:?})")]
    Header {
        path: PathBuf,
        missing: &'static str,
        header: String,
    },
    #[error("{path}:{line}: {message}")]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

/// Bikes available at each station over time, in time order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OccupancySeries {
    pub stations: BTreeMap<String, Vec<(i64, u32)>>,
}

/// Estimated rider departures and arrivals at a station in one hour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HourlyFlow {
    pub station: String,
    /// POSIX seconds at the start of the hour (UTC).
    pub hour_start: i64,
    pub departures: u32,
    pub arrivals: u32,
}

/// What the estimate saw besides riders.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowReport {
    pub intervals: u64,
    pub gaps: u64,
    pub rebalancing_moves: u64,
    pub bikes_rebalanced: u64,
}

const COLUMNS: [&str; 3] = [
    "feed_last_updated_unix",
    "station_id",
    "num_bikes_available",
];

impl OccupancySeries {
    /// Reads `feed_last_updated_unix,station_id,num_bikes_available,...` (other columns
    /// ignored; CSV by the csv crate, read as a stream). Repeated snapshots of a station at one
    /// time keep the last.
    pub fn read_csv(path: &Path) -> Result<OccupancySeries, SeriesError> {
        let file = std::fs::File::open(path).map_err(|source| SeriesError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(std::io::BufReader::new(file));
        let csv_error = |e: csv::Error| SeriesError::Csv {
            path: path.to_path_buf(),
            line: e.position().map_or(1, csv::Position::line),
            message: e.to_string(),
        };
        let header = reader.headers().map_err(csv_error)?.clone();
        let mut at = [0usize; 3];
        for (slot, name) in at.iter_mut().zip(COLUMNS) {
            *slot = header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| SeriesError::Header {
                    path: path.to_path_buf(),
                    missing: name,
                    header: header.iter().collect::<Vec<_>>().join(","),
                })?;
        }
        let mut stations: BTreeMap<String, Vec<(i64, u32)>> = BTreeMap::new();
        for record in reader.records() {
            let cells = record.map_err(csv_error)?;
            if cells.iter().all(str::is_empty) {
                continue;
            }
            let cell = |k: usize| cells.get(at[k]).unwrap_or_default();
            let field = |k: usize, expected: &'static str| SeriesError::Field {
                path: path.to_path_buf(),
                line: cells.position().map_or(0, |p| p.line() as usize),
                field: COLUMNS[k],
                expected,
                found: cell(k).to_string(),
            };
            let t: i64 = cell(0).parse().map_err(|_| field(0, "POSIX seconds"))?;
            let id = Some(cell(1))
                .filter(|c| !c.is_empty())
                .ok_or_else(|| field(1, "a station id"))?;
            let bikes: u32 = cell(2)
                .parse()
                .map_err(|_| field(2, "a whole number ≥ 0"))?;
            stations.entry(id.to_string()).or_default().push((t, bikes));
        }
        for samples in stations.values_mut() {
            samples.sort_by_key(|s| s.0);
            // keep the last of equal times
            samples.reverse();
            samples.dedup_by_key(|s| s.0);
            samples.reverse();
        }
        Ok(OccupancySeries { stations })
    }

    /// Departures and arrivals per station and hour (by the end of each interval), stations
    /// in id order, hours in time order.
    pub fn hourly_flows(&self) -> (Vec<HourlyFlow>, FlowReport) {
        let mut report = FlowReport::default();
        let mut flows = Vec::new();
        for (station, samples) in &self.stations {
            let mut hours: BTreeMap<i64, (u32, u32)> = BTreeMap::new();
            for pair in samples.windows(2) {
                let ((t0, b0), (t1, b1)) = (pair[0], pair[1]);
                if t1 - t0 > MAX_GAP_S {
                    report.gaps += 1;
                    continue;
                }
                report.intervals += 1;
                let change = b1.abs_diff(b0);
                if change >= REBALANCING_JUMP {
                    report.rebalancing_moves += 1;
                    report.bikes_rebalanced += u64::from(change);
                    continue;
                }
                let slot = hours.entry(t1.div_euclid(3600) * 3600).or_default();
                if b1 < b0 {
                    slot.0 += change;
                } else {
                    slot.1 += change;
                }
            }
            flows.extend(
                hours
                    .into_iter()
                    .map(|(hour_start, (departures, arrivals))| HourlyFlow {
                        station: station.clone(),
                        hour_start,
                        departures,
                        arrivals,
                    }),
            );
        }
        (flows, report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_file_is_csv_with_its_errors_on_their_line() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path();
        let path = dir.join("status.csv");
        let head = "feed_last_updated_unix,station_id,num_bikes_available,name\r\n";
        std::fs::write(
            &path,
            format!("{head}100,\"a\",3,\"Main St, north\"\r\n\r\n90,a,5,x\r\n"),
        )
        .unwrap();
        let series = OccupancySeries::read_csv(&path).unwrap();
        assert_eq!(series.stations["a"], vec![(90, 5), (100, 3)]);
        std::fs::write(&path, format!("{head}100,a,3,x\n160,a,many,x\n")).unwrap();
        let e = OccupancySeries::read_csv(&path).unwrap_err().to_string();
        assert!(
            e.ends_with(
                "status.csv:3: num_bikes_available: expected a whole number ≥ 0, found \"many\""
            ),
            "{e}"
        );
    }

    #[test]
    fn changes_become_departures_arrivals_or_truck_moves() {
        let mut series = OccupancySeries::default();
        // 08:00 5 bikes, 08:20 3 (2 left), 08:40 4 (1 came), 09:00 14 (a truck), 11:00 10 (gap)
        let h8 = 8 * 3600;
        series.stations.insert(
            "a".into(),
            vec![
                (h8, 5),
                (h8 + 1200, 3),
                (h8 + 2400, 4),
                (h8 + 3600, 14),
                (h8 + 3 * 3600, 10),
            ],
        );
        let (flows, report) = series.hourly_flows();
        assert_eq!(
            flows,
            vec![HourlyFlow {
                station: "a".into(),
                hour_start: h8,
                departures: 2,
                arrivals: 1
            }]
        );
        assert_eq!(
            report,
            FlowReport {
                intervals: 3,
                gaps: 1,
                rebalancing_moves: 1,
                bikes_rebalanced: 10
            }
        );
    }
}
