//! Reading GBFS feeds: each reader names the file and the field it could not use.

use super::{GbfsError, GbfsStation, GbfsStatus, GbfsVehicle, GbfsZone};
use citytwin_city::calendar::rfc3339_seconds;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::Value;
use std::path::{Path, PathBuf};

const KNOWN_VERSIONS: [&str; 8] = ["1.0", "1.1", "2.0", "2.1", "2.2", "2.3", "3.0", "3.1-RC"];

/// A feed file being read: errors name it and the field.
struct Feed {
    path: PathBuf,
    root: Value,
}

impl Feed {
    fn open(path: &Path) -> Result<Feed, GbfsError> {
        let text = std::fs::read_to_string(path).map_err(|source| GbfsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let root = serde_json::from_str(&text).map_err(|e| GbfsError::Json {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let feed = Feed {
            path: path.to_path_buf(),
            root,
        };
        // feeds before 1.1 carry no version; a version this reader does not know is refused
        // rather than misread
        match feed.root.get("version") {
            None => Ok(feed),
            Some(Value::String(v)) if KNOWN_VERSIONS.contains(&v.as_str()) => Ok(feed),
            Some(_) => Err(feed.error("version", "a GBFS version 1.0–2.3 or 3.0")),
        }
    }

    /// The major version: 3 for 3.0, else 2 (1.x and 2.x share their field names).
    fn major(&self) -> u8 {
        match self.root.get("version").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.") => 3,
            _ => 2,
        }
    }

    fn error(&self, field: impl Into<String>, expected: &'static str) -> GbfsError {
        GbfsError::Field {
            path: self.path.clone(),
            field: field.into(),
            expected,
        }
    }

    /// `data.<key>` as an array.
    fn data_array(&self, key: &str) -> Result<&Vec<Value>, GbfsError> {
        self.root
            .pointer(&format!("/data/{key}"))
            .and_then(Value::as_array)
            .ok_or_else(|| self.error(format!("data.{key}"), "an array"))
    }

    fn number(&self, item: &Value, at: &str, key: &str) -> Result<f64, GbfsError> {
        item.get(key)
            .and_then(Value::as_f64)
            .ok_or_else(|| self.error(format!("{at}.{key}"), "a number"))
    }

    fn count(&self, item: &Value, at: &str, key: &str) -> Result<Option<u32>, GbfsError> {
        match item.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| self.error(format!("{at}.{key}"), "a whole number ≥ 0")),
        }
    }

    fn id(&self, item: &Value, at: &str) -> Result<String, GbfsError> {
        self.id_field(item, at, "station_id")
    }

    fn id_field(&self, item: &Value, at: &str, key: &str) -> Result<String, GbfsError> {
        match item.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            // some 1.x/2.x feeds write numeric ids
            Some(Value::Number(n)) => Ok(n.to_string()),
            _ => Err(self.error(format!("{at}.{key}"), "a non-empty string")),
        }
    }

    /// A plain string (2.x) or localised strings (3.0: the English one, else the first).
    fn text(&self, item: &Value, at: &str, key: &str) -> Result<String, GbfsError> {
        match item.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Array(list)) => {
                let pick = list
                    .iter()
                    .find(|t| t.get("language").and_then(Value::as_str) == Some("en"))
                    .or_else(|| list.first());
                pick.and_then(|t| t.get("text"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| {
                        self.error(
                            format!("{at}.{key}"),
                            "localised strings [{text, language}]",
                        )
                    })
            }
            _ => Err(self.error(format!("{at}.{key}"), "a string or localised strings")),
        }
    }

    fn flag(&self, item: &Value, at: &str, key: &str) -> Result<bool, GbfsError> {
        match item.get(key) {
            Some(Value::Bool(b)) => Ok(*b),
            // GBFS 1.x wrote 0/1
            Some(Value::Number(n)) if n.as_u64().is_some_and(|v| v <= 1) => {
                Ok(n.as_u64() == Some(1))
            }
            None => Ok(true),
            _ => Err(self.error(format!("{at}.{key}"), "true or false")),
        }
    }

    fn required_flag(&self, item: &Value, at: &str, key: &str) -> Result<bool, GbfsError> {
        match item.get(key) {
            None => Err(self.error(format!("{at}.{key}"), "true or false")),
            Some(_) => self.flag(item, at, key),
        }
    }

    fn time(&self, item: &Value, at: &str, key: &str) -> Result<Option<i64>, GbfsError> {
        match item.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.error(format!("{at}.{key}"), "POSIX seconds")),
            Some(Value::String(s)) => rfc3339_seconds(s)
                .map(Some)
                .ok_or_else(|| self.error(format!("{at}.{key}"), "an RFC 3339 time")),
            _ => Err(self.error(format!("{at}.{key}"), "a time")),
        }
    }
}

/// Docks from a `station_information.json`.
pub fn read_station_information(path: &Path) -> Result<Vec<GbfsStation>, GbfsError> {
    let feed = Feed::open(path)?;
    let mut stations = Vec::new();
    for (i, s) in feed.data_array("stations")?.iter().enumerate() {
        let at = format!("data.stations[{i}]");
        let (lat, lon) = (feed.number(s, &at, "lat")?, feed.number(s, &at, "lon")?);
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(feed.error(format!("{at}.lat/lon"), "WGS84 degrees"));
        }
        let area = match s.get("station_area") {
            None | Some(Value::Null) => None,
            Some(a) => Some(
                a.get("coordinates")
                    .and_then(Value::as_array)
                    .and_then(|c| multipolygon(c))
                    .ok_or_else(|| {
                        feed.error(
                            format!("{at}.station_area"),
                            "a GeoJSON MultiPolygon of rings of ≥ 4 positions",
                        )
                    })?,
            ),
        };
        stations.push(GbfsStation {
            id: feed.id(s, &at)?,
            name: feed.text(s, &at, "name")?,
            lon,
            lat,
            capacity: feed.count(s, &at, "capacity")?,
            is_virtual: match s.get("is_virtual_station") {
                None => false,
                Some(_) => feed.flag(s, &at, "is_virtual_station")?,
            },
            area,
        });
    }
    Ok(stations)
}

/// Dock states from a `station_status.json`.
pub fn read_station_status(path: &Path) -> Result<Vec<GbfsStatus>, GbfsError> {
    let feed = Feed::open(path)?;
    let mut states = Vec::new();
    for (i, s) in feed.data_array("stations")?.iter().enumerate() {
        let at = format!("data.stations[{i}]");
        let bikes = match feed.count(s, &at, "num_bikes_available")? {
            Some(n) => n,
            None => feed
                .count(s, &at, "num_vehicles_available")?
                .ok_or_else(|| {
                    feed.error(
                        format!("{at}.num_bikes_available"),
                        "a whole number ≥ 0 (or num_vehicles_available)",
                    )
                })?,
        };
        states.push(GbfsStatus {
            id: feed.id(s, &at)?,
            bikes_available: bikes,
            docks_available: feed.count(s, &at, "num_docks_available")?,
            is_renting: feed.flag(s, &at, "is_renting")?,
            is_returning: feed.flag(s, &at, "is_returning")?,
            last_reported: feed.time(s, &at, "last_reported")?,
        });
    }
    Ok(states)
}

/// Parked vehicles from a `vehicle_status.json` (3.0) or `free_bike_status.json` (2.x). A
/// vehicle id listed twice is an error naming both places.
pub fn read_vehicle_status(path: &Path) -> Result<Vec<GbfsVehicle>, GbfsError> {
    let feed = Feed::open(path)?;
    let (list, id_key) = match feed.major() {
        3 => ("vehicles", "vehicle_id"),
        _ => ("bikes", "bike_id"),
    };
    let mut vehicles = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (i, v) in feed.data_array(list)?.iter().enumerate() {
        let at = format!("data.{list}[{i}]");
        let id = feed.id_field(v, &at, id_key)?;
        if let Some(first) = seen.insert(id.clone(), i) {
            return Err(GbfsError::Duplicate {
                path: feed.path.clone(),
                field: format!("{at}.{id_key}"),
                id,
                first: format!("data.{list}[{first}]"),
            });
        }
        let station_id = match v.get("station_id") {
            None | Some(Value::Null) => None,
            Some(_) => Some(feed.id(v, &at)?),
        };
        let lon_lat = match (v.get("lon"), v.get("lat")) {
            (None, None) if station_id.is_some() => None,
            _ => {
                let (lon, lat) = (feed.number(v, &at, "lon")?, feed.number(v, &at, "lat")?);
                if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                    return Err(feed.error(format!("{at}.lat/lon"), "WGS84 degrees"));
                }
                Some((lon, lat))
            }
        };
        vehicles.push(GbfsVehicle {
            id,
            lon_lat,
            station_id,
            is_reserved: feed.required_flag(v, &at, "is_reserved")?,
            is_disabled: feed.required_flag(v, &at, "is_disabled")?,
        });
    }
    Ok(vehicles)
}

/// Zones from a `geofencing_zones.json` (a GeoJSON FeatureCollection of MultiPolygons).
pub fn read_geofencing_zones(path: &Path) -> Result<Vec<GbfsZone>, GbfsError> {
    let feed = Feed::open(path)?;
    let features = feed
        .root
        .pointer("/data/geofencing_zones/features")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            feed.error(
                "data.geofencing_zones.features",
                "a GeoJSON FeatureCollection",
            )
        })?;
    let mut zones = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let at = format!("data.geofencing_zones.features[{i}]");
        let coords = f
            .pointer("/geometry/coordinates")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                feed.error(
                    format!("{at}.geometry.coordinates"),
                    "MultiPolygon coordinates",
                )
            })?;
        let area = multipolygon(coords).ok_or_else(|| {
            feed.error(
                format!("{at}.geometry.coordinates"),
                "[[[[lon, lat], …]]] rings of ≥ 4 positions",
            )
        })?;
        let name = match f.get("properties") {
            Some(p) if p.get("name").is_some() => {
                feed.text(p, &format!("{at}.properties"), "name")?
            }
            _ => format!("zone {}", i + 1),
        };
        zones.push(GbfsZone { name, area });
    }
    Ok(zones)
}

fn multipolygon(polygons: &[Value]) -> Option<MultiPolygon<f64>> {
    let ring = |r: &Value| -> Option<LineString<f64>> {
        let points = r.as_array()?;
        let coords: Option<Vec<Coord<f64>>> = points
            .iter()
            .map(|p| {
                Some(Coord {
                    x: p.get(0)?.as_f64()?,
                    y: p.get(1)?.as_f64()?,
                })
            })
            .collect();
        let coords = coords?;
        (coords.len() >= 4).then(|| LineString::from(coords))
    };
    let polygons: Option<Vec<Polygon<f64>>> = polygons
        .iter()
        .map(|p| {
            let rings = p.as_array()?;
            let exterior = ring(rings.first()?)?;
            let holes: Option<Vec<LineString<f64>>> = rings[1..].iter().map(ring).collect();
            Some(Polygon::new(exterior, holes?))
        })
        .collect();
    Some(MultiPolygon(polygons?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn version_3_names_counts_and_times_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let info = write(
            &dir,
            "info3.json",
            r#"{"last_updated":"2025-04-01T00:12:00Z","ttl":0,"version":"3.0","data":{"stations":[
                {"station_id":"a","name":[{"text":"Torget","language":"nb"},{"text":"The Square","language":"en"}],
                 "lat":59.91,"lon":10.75,"capacity":12}]}}"#,
        );
        let s = read_station_information(&info).unwrap();
        assert_eq!(s[0].name, "The Square");
        assert_eq!(s[0].capacity, Some(12));
        let status = write(
            &dir,
            "status3.json",
            r#"{"data":{"stations":[{"station_id":"a","num_vehicles_available":4,"num_docks_available":8,
                "is_installed":true,"is_renting":true,"is_returning":false,"last_reported":"2025-04-01T00:12:00Z"}]}}"#,
        );
        let st = read_station_status(&status).unwrap();
        assert_eq!((st[0].bikes_available, st[0].docks_available), (4, Some(8)));
        assert!(!st[0].is_returning);
        assert_eq!(st[0].last_reported, Some(1_743_466_320));
    }

    #[test]
    fn bad_fields_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let bad = write(
            &dir,
            "bad.json",
            r#"{"data":{"stations":[{"station_id":"a","name":"x","lat":59.9,"lon":10.7},
                {"station_id":"b","name":"y","lat":"north","lon":10.7}]}}"#,
        );
        let e = read_station_information(&bad).unwrap_err().to_string();
        assert!(
            e.ends_with("bad.json: data.stations[1].lat: expected a number"),
            "{e}"
        );
        let broken = write(&dir, "broken.json", "{\"data\": [");
        let e = read_station_status(&broken).unwrap_err().to_string();
        assert!(e.contains("broken.json:1:"), "{e}");
    }

    #[test]
    fn unknown_versions_duplicate_ids_and_missing_flags_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let future = write(
            &dir,
            "future.json",
            r#"{"version":"4.0","data":{"stations":[]}}"#,
        );
        let e = read_station_information(&future).unwrap_err().to_string();
        assert!(
            e.ends_with("future.json: version: expected a GBFS version 1.0–2.3 or 3.0"),
            "{e}"
        );
        let twice = write(
            &dir,
            "twice.json",
            r#"{"version":"3.0","data":{"vehicles":[
                {"vehicle_id":"x","lat":30.0,"lon":104.0,"is_reserved":false,"is_disabled":false},
                {"vehicle_id":"x","lat":30.1,"lon":104.0,"is_reserved":false,"is_disabled":true}]}}"#,
        );
        let e = read_vehicle_status(&twice).unwrap_err().to_string();
        assert!(
            e.ends_with(
                "twice.json: data.vehicles[1].vehicle_id: id x is listed twice (first at data.vehicles[0])"
            ),
            "{e}"
        );
        let flagless = write(
            &dir,
            "flagless.json",
            r#"{"version":"2.3","data":{"bikes":[{"bike_id":"y","station_id":"s","is_reserved":false}]}}"#,
        );
        let e = read_vehicle_status(&flagless).unwrap_err().to_string();
        assert!(
            e.ends_with("flagless.json: data.bikes[0].is_disabled: expected true or false"),
            "{e}"
        );
        // 2.x lists bikes; one at a station may leave its position out
        let ok = write(
            &dir,
            "docked.json",
            r#"{"version":"2.3","data":{"bikes":[{"bike_id":"y","station_id":"s","is_reserved":false,"is_disabled":true}]}}"#,
        );
        let v = read_vehicle_status(&ok).unwrap();
        assert_eq!(
            (v[0].lon_lat, v[0].station_id.as_deref()),
            (None, Some("s"))
        );
    }

    #[test]
    fn geofencing_zones_are_multipolygons_with_names() {
        let dir = tempfile::tempdir().unwrap();
        let zones = write(
            &dir,
            "zones.json",
            r#"{"data":{"geofencing_zones":{"type":"FeatureCollection","features":[{"type":"Feature",
                "properties":{"name":"Metro exit A","rules":[]},
                "geometry":{"type":"MultiPolygon","coordinates":[[[[10.0,59.0],[10.001,59.0],[10.001,59.001],[10.0,59.0]]]]}}]}}}"#,
        );
        let z = read_geofencing_zones(&zones).unwrap();
        assert_eq!(z[0].name, "Metro exit A");
        assert_eq!(z[0].area.0[0].exterior().0.len(), 4);
    }
}
