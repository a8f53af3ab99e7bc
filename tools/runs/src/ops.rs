//! The scene's operations file, read with everything it names: replayed series, citizens'
//! reports, and every place projected into the city's CRS.

use crate::error::{Result, RunError};
use crate::reports::{csv_text, write, write_table};
use crate::table::{Column, Table};
use citytwin_city::City;
use citytwin_city::calendar::SimDay;
use citytwin_city::scene::Scene;
use citytwin_gis::crs::Reprojector;
use citytwin_ops::cases::CaseState;
use citytwin_ops::model::Source;
use citytwin_ops::quality::QualityScore;
use citytwin_ops::replay::{ReplayDay, median_aqi_date};
use citytwin_ops::setup::OpsFile;
use citytwin_sim::ops::{LiveInput, OpsInputs, OpsSim, Report, StationInput};
use citytwin_sim::scenario::Clock;
use geo::{Coord, Point};
use std::path::Path;

/// The scene's ops, or `None` when the scene has no ops file.
pub fn load(scene: &Scene, city: &City, day: SimDay) -> Result<Option<OpsInputs>> {
    let Some(path) = &scene.ops else {
        return Ok(None);
    };
    let file = OpsFile::load(path)?;
    let to_city = Reprojector::new("EPSG:4326", &city.bundle.meta.crs.id)?;
    let project = |what: &str, lon: f64, lat: f64| -> Result<Point<f64>, String> {
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return Err(format!("{what}: ({lon}, {lat}) is not a lon/lat"));
        }
        let p = to_city
            .coord(Coord { x: lon, y: lat })
            .map_err(|e| format!("{what}: projecting ({lon}, {lat}): {e}"))?;
        let p = Point::from(p);
        city.check_near(&format!("{what} ({lon}, {lat})"), p)
            .map_err(|e| e.to_string())?;
        Ok(p)
    };
    let mut records = Vec::new();
    for s in &file.air_quality {
        let text = std::fs::read_to_string(&s.file).map_err(RunError::io("reading", &s.file))?;
        records.push(std::sync::Arc::<str>::from(text));
    }
    // the file's day, else a typical one (the median AQI of the records' days)
    let texts: Vec<&str> = records.iter().map(|r| &**r).collect();
    let replay_date = match &file.air_quality_date {
        Some(d) => d
            .parse()
            .map_err(|e| RunError::bad_input(path, format!("air_quality_date: {e}")))?,
        None => median_aqi_date(&texts).unwrap_or(day.date),
    };
    let mut stations = Vec::new();
    for ((i, s), record) in file.air_quality.iter().enumerate().zip(records) {
        let replay = ReplayDay::from_csv(&record, replay_date)
            .map_err(|e| RunError::bad_input(&s.file, e))?;
        stations.push(StationInput {
            name: s.name.clone(),
            point: project(&format!("air_quality[{i}]"), s.lon, s.lat)
                .map_err(|e| RunError::bad_input(path, e))?,
            lon: s.lon,
            lat: s.lat,
            replay,
            record,
        });
    }
    let mut live = Vec::new();
    for (i, s) in file.live.iter().enumerate() {
        live.push(LiveInput {
            sensor: s.clone(),
            point: project(&format!("live[{i}]"), s.lon, s.lat)
                .map_err(|e| RunError::bad_input(path, e))?,
        });
    }
    let reports = match &file.reports {
        Some(r) => read_reports(r, &|lon, lat| project("reports", lon, lat))?,
        None => Vec::new(),
    };
    Ok(Some(OpsInputs {
        file,
        day,
        stations,
        live,
        reports,
    }))
}

/// Citizens' reports: CSV (RFC 4180: quoted fields, CRLF, a BOM) `time,lon,lat,text` with a
/// header. Sorted by time (stable, so same-minute reports keep the file's order).
pub fn read_reports(
    path: &Path,
    project: &dyn Fn(f64, f64) -> Result<Point<f64>, String>,
) -> Result<Vec<Report>> {
    let bytes = std::fs::read(path).map_err(RunError::io("reading", path))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let at = |line: u64, what: String| RunError::BadLine {
        file: path.to_path_buf(),
        line,
        what,
    };
    let header = reader
        .headers()
        .map_err(|e| at(1, e.to_string()))?
        .iter()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(",");
    if header != "time,lon,lat,text" {
        return Err(at(
            1,
            format!("header is `{header}`, expected `time,lon,lat,text`"),
        ));
    }
    let mut reports = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            at(line, e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let [time, lon, lat, text] = [0, 1, 2, 3].map(|k| record.get(k));
        let (Some(time), Some(lon), Some(lat), Some(text)) = (time, lon, lat, text) else {
            return Err(at(line, "expected time,lon,lat,text".into()));
        };
        let at_s = Clock::parse(time.trim())
            .map(|c| c.0)
            .ok_or_else(|| at(line, format!("time `{time}`: expected HH:MM")))?;
        let number = |field: &str, v: &str| {
            v.trim()
                .parse::<f64>()
                .map_err(|_| at(line, format!("{field} `{v}`: expected a number")))
        };
        let (lon, lat) = (number("lon", lon)?, number("lat", lat)?);
        let point = project(lon, lat).map_err(|e| at(line, format!("place: {e}")))?;
        let text = text.trim().to_string();
        if text.is_empty() {
            return Err(at(line, "the report's text is empty".into()));
        }
        reports.push(Report {
            at_s,
            point,
            lon,
            lat,
            text,
        });
    }
    reports.sort_by_key(|r| r.at_s);
    Ok(reports)
}

/// vitals.csv (city and districts every 5 minutes), quality.csv (every feed every period),
/// cases.csv (every case, Open311 fields and when it entered each state) and sensors.csv
/// (every thing and datastream, with the source of its data).
pub fn write_reports(dir: &Path, ops: &OpsSim, parquet: bool) -> Result<()> {
    vitals_table(dir, ops, parquet)?;
    quality_table(dir, ops, parquet)?;
    cases_csv(dir, ops)?;
    sensors_csv(dir, ops)
}

fn vitals_table(dir: &Path, ops: &OpsSim, parquet: bool) -> Result<()> {
    let rows = &ops.vital_rows;
    let vitals = Table::new(
        "vitals",
        vec![
            Column::time("time", &ops.day, rows.iter().map(|r| r.at_s)),
            Column::text("scope", rows.iter().map(|r| r.scope.clone()).collect()),
            Column::text(
                "indicator",
                rows.iter().map(|r| r.indicator.clone()).collect(),
            ),
            Column::float("value", 4, rows.iter().map(|r| r.value).collect()),
            Column::text(
                "level",
                rows.iter().map(|r| format!("{:?}", r.level)).collect(),
            ),
        ],
    )?;
    write_table(dir, &vitals, parquet)?;
    Ok(())
}

fn quality_table(dir: &Path, ops: &OpsSim, parquet: bool) -> Result<()> {
    let rows: Vec<_> = ops
        .quality
        .iter()
        .flat_map(|p| ops.feeds.iter().zip(&p.scores).map(move |(f, s)| (p, f, s)))
        .collect();
    let score = |name: &str, get: fn(&QualityScore) -> f64| {
        Column::float(name, 4, rows.iter().map(|(_, _, s)| get(s)).collect())
    };
    let quality = Table::new(
        "quality",
        vec![
            Column::time(
                "period_start",
                &ops.day,
                rows.iter().map(|(p, _, _)| p.from_s),
            ),
            Column::time("period_end", &ops.day, rows.iter().map(|(p, _, _)| p.to_s)),
            Column::int(
                "datastream",
                rows.iter()
                    .map(|(_, f, _)| i64::from(f.stream.id.0))
                    .collect(),
            ),
            Column::text(
                "name",
                rows.iter().map(|(_, f, _)| f.stream.name.clone()).collect(),
            ),
            score("completeness", |s| s.completeness),
            score("timeliness", |s| s.timeliness),
            score("validity", |s| s.validity),
            score("consistency", |s| s.consistency),
            score("overall", QualityScore::overall),
        ],
    )?;
    write_table(dir, &quality, parquet)?;
    Ok(())
}

fn header(names: &str) -> Vec<String> {
    names.split(',').map(String::from).collect()
}

fn cases_csv(dir: &Path, ops: &OpsSim) -> Result<()> {
    let cases = ops.desk.cases().iter().map(|c| {
        let iso = |t: u32| ops.day.iso(t);
        let first = |s: CaseState| c.first(s).map(iso).unwrap_or_default();
        vec![
            c.id.0.to_string(),
            c.filing.service_code.to_string(),
            c.state().open311_status().to_string(),
            format!("{:?}", c.state()),
            c.filing.description.clone(),
            format!("{:.6}", c.filing.lat),
            format!("{:.6}", c.filing.lon),
            c.filing.cell_code.clone().unwrap_or_default(),
            c.agency.clone().unwrap_or_default(),
            iso(c.requested_s),
            iso(c.expected_s),
            iso(c.updated_s()),
            first(CaseState::Dispatched),
            first(CaseState::InProgress),
            c.last(CaseState::Disposed).map(iso).unwrap_or_default(),
            first(CaseState::Evaluated),
            c.sla_met().map_or(String::new(), |m| m.to_string()),
            c.reopened().to_string(),
        ]
    });
    let cases = csv_text(
        header(
            "service_request_id,service_code,status,state,description,lat,long,cell_code,agency_responsible,requested_datetime,expected_datetime,updated_datetime,dispatched,in_progress,disposed,evaluated,sla_met,reopened",
        ),
        cases,
    );
    write(&dir.join("cases.csv"), &cases)?;
    Ok(())
}

fn sensors_csv(dir: &Path, ops: &OpsSim) -> Result<()> {
    let sensors = ops.feeds.iter().map(|f| {
        let thing = &ops.things()[f.stream.thing.index()];
        let source = match &f.stream.source {
            Source::Virtual => "virtual".to_string(),
            Source::Replay { origin } => format!("replay: {origin}"),
            Source::Live => "live (MQTT)".to_string(),
        };
        let t = f.total;
        vec![
            f.stream.id.0.to_string(),
            thing.id.0.to_string(),
            f.stream.name.clone(),
            f.stream.quantity.key().to_string(),
            f.stream.quantity.unit_symbol().to_string(),
            f.stream.interval_s.to_string(),
            source,
            format!("{:.6}", thing.location.lon),
            format!("{:.6}", thing.location.lat),
            thing
                .location
                .cell
                .map_or(String::new(), |c| format!("{}/{}", c.row, c.col)),
            t.received().to_string(),
            t.accepted.to_string(),
            t.late.to_string(),
            t.out_of_order.to_string(),
            t.duplicate.to_string(),
            t.invalid.to_string(),
        ]
    });
    let sensors = csv_text(
        header(
            "datastream,thing,name,quantity,unit,interval_s,source,lon,lat,cell,received,accepted,late,out_of_order,duplicate,invalid",
        ),
        sensors,
    );
    write(&dir.join("sensors.csv"), &sensors)
}
