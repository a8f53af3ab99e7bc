//! Replay of recorded hourly air-quality series (the UCI "Beijing Multi-Site Air-Quality"
//! files, `PRSA_Data_<station>_*.csv`): one calendar day of the record is played back as the
//! simulated day, hour by hour, gaps (`NA`) and all.
//!
//! Each hour's mean is published when the hour is over (phenomenon time = the hour's start).
//! PM2.5 and PM10 also get their 24-hour moving averages, as Chinese stations publish them,
//! computed from the record itself with GB 3095-2012's rule that a 24-hour mean needs at
//! least 20 hourly values (otherwise it is missing). CO is converted from the files' µg/m³ to
//! the mg/m³ the AQI uses.

use crate::catalog::Quantity;
use citytwin_city::calendar::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The pollutants of a replayed station, in this order.
pub const REPLAYED: [Quantity; 8] = [
    Quantity::Pm25,
    Quantity::Pm10,
    Quantity::So2,
    Quantity::No2,
    Quantity::Co,
    Quantity::O3,
    Quantity::Pm25Day,
    Quantity::Pm10Day,
];

/// Hourly values a 24-hour mean needs (GB 3095-2012, 数据统计的有效性规定).
pub const MIN_HOURS_FOR_DAY_MEAN: usize = 20;

/// One day of one station: `values[hour][k]` is `REPLAYED[k]` in that hour, if recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayDay {
    pub station: String,
    pub date: Date,
    pub values: Vec<[Option<f64>; 8]>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ReplayError {
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
    #[error("missing column `{0}` in the header")]
    Column(&'static str),
    #[error("the file has no hours on {0}")]
    NoSuchDay(Date),
}

const COLUMNS: [&str; 10] = [
    "year", "month", "day", "hour", "PM2.5", "PM10", "SO2", "NO2", "CO", "O3",
];

/// One row of the record, read field by field with errors that name its line.
struct HourRow<'r> {
    record: &'r csv::StringRecord,
    col: &'r [usize; 10],
    line: usize,
}

impl HourRow<'_> {
    fn date(&self) -> Result<Date, ReplayError> {
        Ok(Date {
            year: self.int(0)? as i32,
            month: self.int(1)? as u32,
            day: self.int(2)? as u32,
        })
    }

    fn err(&self, reason: String) -> ReplayError {
        ReplayError::Line {
            line: self.line,
            reason,
        }
    }

    fn cell(&self, k: usize) -> Result<&str, ReplayError> {
        self.record
            .get(self.col[k])
            .ok_or_else(|| self.err(format!("no `{}` field", COLUMNS[k])))
    }

    fn int(&self, k: usize) -> Result<i64, ReplayError> {
        let s = self.cell(k)?;
        s.parse().map_err(|_| {
            self.err(format!(
                "`{}` is `{s}`, expected a whole number",
                COLUMNS[k]
            ))
        })
    }

    /// The hour and the six pollutants (CO in mg/m³).
    fn hour_values(&self) -> Result<(usize, [Option<f64>; 6]), ReplayError> {
        let hour = self.int(3)?;
        if !(0..24).contains(&hour) {
            return Err(self.err(format!("`hour` is {hour}, expected 0 to 23")));
        }
        let mut values = [None; 6];
        for (k, slot) in values.iter_mut().enumerate() {
            let s = self.cell(4 + k)?;
            *slot = if s == "NA" || s.is_empty() {
                None
            } else {
                Some(s.parse::<f64>().map_err(|_| {
                    self.err(format!(
                        "`{}` is `{s}`, expected a number or NA",
                        COLUMNS[4 + k]
                    ))
                })?)
            };
        }
        // CO: µg/m³ in the files, mg/m³ in the AQI
        values[4] = values[4].map(|c| c / 1000.0);
        Ok((hour as usize, values))
    }
}

/// A PRSA file's CSV (quoted fields, any row length: a short row is an error naming its
/// line, not a reader failure).
fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
}

/// Where the pollutant columns and the station's are in the header.
fn columns(header: &csv::StringRecord) -> Result<([usize; 10], usize), ReplayError> {
    let find = |name: &'static str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or(ReplayError::Column(name))
    };
    let mut col = [0usize; 10];
    for (k, name) in COLUMNS.iter().enumerate() {
        col[k] = find(name)?;
    }
    Ok((col, find("station")?))
}

/// The day's 24 hours (hours 24–47 of `hours`, which start at the day before's midnight),
/// with the PM 24-hour means.
fn day_values(hours: &BTreeMap<usize, [Option<f64>; 6]>) -> Vec<[Option<f64>; 8]> {
    let day_mean = |hour: usize, k: usize| {
        let window: Vec<f64> = (hour + 1 - 24..=hour)
            .filter_map(|h| hours.get(&h).and_then(|v| v[k]))
            .collect();
        (window.len() >= MIN_HOURS_FOR_DAY_MEAN)
            .then(|| window.iter().sum::<f64>() / window.len() as f64)
    };
    (24..48)
        .map(|h| {
            let v = hours.get(&h).copied().unwrap_or([None; 6]);
            [
                v[0],
                v[1],
                v[2],
                v[3],
                v[4],
                v[5],
                day_mean(h, 0),
                day_mean(h, 1),
            ]
        })
        .collect()
}

impl ReplayDay {
    /// Reads `date` (and the day before it, for the moving averages) from a PRSA file's text
    /// (CSV, read by the csv crate).
    pub fn from_csv(text: &str, date: Date) -> Result<ReplayDay, ReplayError> {
        let mut reader = csv_reader(text);
        let line_of = |p: Option<&csv::Position>| p.map_or(1, |p| p.line() as usize);
        let header = reader
            .headers()
            .map_err(|e| ReplayError::Line {
                line: line_of(e.position()),
                reason: e.to_string(),
            })?
            .clone();
        let (col, station) = columns(&header)?;
        let mut station_name = String::new();
        // hours of the day before and of the day: index 0..48
        let mut hours: BTreeMap<usize, [Option<f64>; 6]> = BTreeMap::new();
        let previous = date.previous();
        for record in reader.records() {
            let record = record.map_err(|e| ReplayError::Line {
                line: line_of(e.position()),
                reason: e.to_string(),
            })?;
            if record.iter().all(str::is_empty) {
                continue;
            }
            let row = HourRow {
                record: &record,
                col: &col,
                line: line_of(record.position()),
            };
            let day = row.date()?;
            let offset = if day == date {
                24
            } else if day == previous {
                0
            } else {
                continue;
            };
            let (hour, values) = row.hour_values()?;
            if station_name.is_empty() {
                station_name = record.get(station).unwrap_or_default().to_string();
            }
            hours.insert(offset + hour, values);
        }
        if !hours.keys().any(|h| *h >= 24) {
            return Err(ReplayError::NoSuchDay(date));
        }
        Ok(ReplayDay {
            station: station_name,
            date,
            values: day_values(&hours),
        })
    }
}

impl ReplayDay {
    /// The hour's concentrations as the AQI reads them (24-hour PM means, 1-hour gases).
    pub fn concentrations(&self, hour: usize) -> crate::iaqi::HourlyConcentrations {
        let v = self.values.get(hour).copied().unwrap_or([None; 8]);
        crate::iaqi::HourlyConcentrations {
            pm25_24h: v[6],
            pm10_24h: v[7],
            so2_1h: v[2],
            no2_1h: v[3],
            co_1h: v[4],
            o3_1h: v[5],
        }
    }

    /// The day's mean of its hourly AQIs (hours with none left out).
    pub fn mean_aqi(&self) -> Option<f64> {
        let hourly: Vec<f64> = (0..self.values.len())
            .filter_map(|h| self.concentrations(h).aqi().map(|a| f64::from(a.aqi)))
            .collect();
        (!hourly.is_empty()).then(|| hourly.iter().sum::<f64>() / hourly.len() as f64)
    }
}

/// The dates a PRSA file's text has hours of, in order (rows it cannot read are skipped).
pub fn dates_in(text: &str) -> Vec<Date> {
    let mut dates = std::collections::BTreeSet::new();
    let mut reader = csv_reader(text);
    let Ok(header) = reader.headers().cloned() else {
        return Vec::new();
    };
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(y), Some(m), Some(d)) = (column("year"), column("month"), column("day")) else {
        return Vec::new();
    };
    for record in reader.records().flatten() {
        let n = |i: usize| record.get(i).and_then(|v| v.parse::<u32>().ok());
        if let (Some(year), Some(month), Some(day)) = (n(y), n(m), n(d)) {
            dates.insert(Date {
                year: year as i32,
                month,
                day,
            });
        }
    }
    dates.into_iter().collect()
}

/// A typical day of a city's replayed stations: of the dates every station's record has (but
/// the first, whose 24-hour means lack the day before), the one whose mean AQI over the
/// stations is the median (the lower one of an even count); `None` without any such date.
/// Replaying it by default keeps an ordinary day ordinary: a smog day is a scenario.
pub fn median_aqi_date(texts: &[&str]) -> Option<Date> {
    let mut common: Option<std::collections::BTreeSet<Date>> = None;
    for t in texts {
        let dates: std::collections::BTreeSet<Date> = dates_in(t).into_iter().skip(1).collect();
        common = Some(match common {
            None => dates,
            Some(c) => c.intersection(&dates).copied().collect(),
        });
    }
    let mut days: Vec<(f64, Date)> = common?
        .into_iter()
        .filter_map(|d| {
            let means: Vec<f64> = texts
                .iter()
                .filter_map(|t| ReplayDay::from_csv(t, d).ok()?.mean_aqi())
                .collect();
            (!means.is_empty()).then(|| (means.iter().sum::<f64>() / means.len() as f64, d))
        })
        .collect();
    days.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    days.get(days.len().checked_sub(1)? / 2).map(|(_, d)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rows: &[(u32, u32, &str)]) -> String {
        let mut s = String::from(
            "\"No\",\"year\",\"month\",\"day\",\"hour\",\"PM2.5\",\"PM10\",\"SO2\",\"NO2\",\"CO\",\"O3\",\"TEMP\",\"station\"\n",
        );
        for (i, (day, hour, pm)) in rows.iter().enumerate() {
            s += &format!("{i},2016,3,{day},{hour},{pm},100,NA,40,1200,30,5.0,\"Dongsi\"\n");
        }
        s
    }

    #[test]
    fn the_typical_day_is_the_median_of_the_record() {
        // days 1–5 at PM2.5 of 20, 300, 40, 150, 60: day 1 only feeds day 2's 24-hour means,
        // which carry each day's level into the next; the cleanest of days 2–5 is day 4
        // (40 → 150), then day 5 (150 → 60), then days 2 and 3: the lower median is day 5
        let levels = [(1, "20"), (2, "300"), (3, "40"), (4, "150"), (5, "60")];
        let rows: Vec<(u32, u32, &str)> = levels
            .iter()
            .flat_map(|&(d, pm)| (0..24).map(move |h| (d, h, pm)))
            .collect();
        let text = file(&rows);
        assert_eq!(dates_in(&text).len(), 5);
        let median = median_aqi_date(&[&text, &text]).expect("a day");
        assert_eq!(median, "2016-03-05".parse().expect("date"));
        assert_eq!(median_aqi_date(&[]), None);
    }

    #[test]
    fn a_day_is_read_with_its_gaps_and_moving_averages() {
        let mut rows: Vec<(u32, u32, &str)> = (0..24).map(|h| (1, h, "60")).collect();
        rows.extend((0..24).map(|h| (2, h, if h == 5 { "NA" } else { "90" })));
        let day =
            ReplayDay::from_csv(&file(&rows), "2016-03-02".parse().expect("date")).expect("reads");
        assert_eq!(day.station, "Dongsi");
        assert_eq!(day.values.len(), 24);
        assert_eq!(day.values[0][0], Some(90.0));
        assert_eq!(day.values[5][0], None, "NA is a gap");
        assert_eq!(day.values[0][2], None);
        assert_eq!(day.values[0][4], Some(1.2), "CO in mg/m³");
        // at 00:00 on the 2nd: 23 hours of 60 and one of 90
        let pm_day = day.values[0][6].expect("24 h mean");
        assert!((pm_day - (23.0 * 60.0 + 90.0) / 24.0).abs() < 1e-9);
    }

    #[test]
    fn too_few_hours_give_no_day_mean_and_bad_lines_are_named() {
        let rows: Vec<(u32, u32, &str)> = (0..24).map(|h| (1, h, "50")).collect();
        let day =
            ReplayDay::from_csv(&file(&rows), "2016-03-01".parse().expect("date")).expect("reads");
        assert_eq!(day.values[0][6], None, "one hour only");
        assert!(day.values[19][6].is_some(), "20 hours at 19:00");
        let bad = file(&[(1, 0, "lots")]);
        assert_eq!(
            ReplayDay::from_csv(&bad, "2016-03-01".parse().expect("date")),
            Err(ReplayError::Line {
                line: 2,
                reason: "`PM2.5` is `lots`, expected a number or NA".into()
            })
        );
        assert_eq!(
            ReplayDay::from_csv(&file(&[]), "2016-03-01".parse().expect("date")),
            Err(ReplayError::NoSuchDay(Date {
                year: 2016,
                month: 3,
                day: 1
            }))
        );
    }
}
