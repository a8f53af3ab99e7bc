//! Writing a system's state as a GBFS 2.3 or 3.0 feed set, as a live operator publishes it:
//! `gbfs.json` (auto-discovery), `system_information`, `vehicle_types`,
//! `station_information` and `station_status` (each fence a virtual station with its area),
//! `vehicle_status` (`free_bike_status` in 2.3: the parked bikes, none being ridden) and
//! `geofencing_zones` (the fences, where rides may end; elsewhere parking is not allowed).
//! Files are written whole or not at all (through a temporary name), so a reader polling the
//! folder never sees half a file. Key order and number formatting are fixed, so the same
//! state gives the same bytes.

use super::{GbfsError, GbfsZone};
use citytwin_city::calendar::rfc3339;
use geo::MultiPolygon;
use serde_json::{Value, json};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The two GBFS versions citytwin publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GbfsVersion {
    V2_3,
    V3_0,
}

impl GbfsVersion {
    pub const ALL: [GbfsVersion; 2] = [GbfsVersion::V2_3, GbfsVersion::V3_0];

    pub fn as_str(self) -> &'static str {
        match self {
            GbfsVersion::V2_3 => "2.3",
            GbfsVersion::V3_0 => "3.0",
        }
    }

    /// The file of parked vehicles: renamed in 3.0.
    pub fn vehicles_feed(self) -> &'static str {
        match self {
            GbfsVersion::V2_3 => "free_bike_status",
            GbfsVersion::V3_0 => "vehicle_status",
        }
    }

    /// The feeds written, in `gbfs.json` order.
    pub fn feeds(self) -> [&'static str; 7] {
        [
            "gbfs",
            "system_information",
            "vehicle_types",
            "station_information",
            "station_status",
            self.vehicles_feed(),
            "geofencing_zones",
        ]
    }
}

impl fmt::Display for GbfsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GbfsVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "2.3" => Ok(GbfsVersion::V2_3),
            "3.0" => Ok(GbfsVersion::V3_0),
            _ => Err(format!("GBFS version {s:?}: expected 2.3 or 3.0")),
        }
    }
}

/// Who publishes the feeds.
#[derive(Clone, Debug, PartialEq)]
pub struct GbfsSystem {
    pub system_id: String,
    pub name: String,
    /// IETF BCP 47 code of the names (`en`, `zh-CN` is written `zh`).
    pub language: String,
    /// IANA time zone (`Asia/Shanghai`).
    pub timezone: String,
    /// The city's offset from UTC, for the RFC 3339 times of 3.0.
    pub utc_offset_s: i32,
    pub feed_contact_email: String,
    /// Where the files are served from, ending in `/` (`gbfs.json` lists `<base_url><feed>.json`).
    pub base_url: String,
}

/// A station (a fence) at the snapshot's time, in lon/lat.
#[derive(Clone, Debug, PartialEq)]
pub struct StationSnapshot {
    pub id: String,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    pub area: MultiPolygon<f64>,
    pub capacity: u32,
    pub bikes_available: u32,
    pub bikes_disabled: u32,
}

/// A parked bike at the snapshot's time, in lon/lat.
#[derive(Clone, Debug, PartialEq)]
pub struct VehicleSnapshot {
    pub id: String,
    pub lon: f64,
    pub lat: f64,
    pub station_id: Option<String>,
    pub is_disabled: bool,
}

/// What one set of feeds shows.
#[derive(Clone, Debug, PartialEq)]
pub struct GbfsSnapshot {
    pub system: GbfsSystem,
    /// POSIX seconds.
    pub last_updated: i64,
    /// Seconds until the next snapshot.
    pub ttl: u32,
    pub stations: Vec<StationSnapshot>,
    pub vehicles: Vec<VehicleSnapshot>,
    pub zones: Vec<GbfsZone>,
}

const VEHICLE_TYPE: &str = "bike";

/// Checks a URL feeds will be served from: GBFS readers follow the URLs `gbfs.json` lists,
/// which the schema requires to be absolute (`format: uri`): `https://` or `http://` and a
/// host, or `file://` and a path; nothing that needs quoting.
///
/// ```
/// use citytwin_bikes::gbfs::check_feed_url;
/// assert!(check_feed_url("https://feeds.example.org/gbfs").is_ok());
/// assert!(check_feed_url("not a url").is_err());
/// ```
pub fn check_feed_url(url: &str) -> Result<(), String> {
    let rest = ["https://", "http://", "file://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme));
    let Some(rest) = rest else {
        return Err("expected an absolute URL starting https://, http:// or file://".into());
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let plain = url.chars().all(|c| {
        c.is_ascii_graphic() && !matches!(c, '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}')
    });
    if !plain {
        Err("expected a URL without spaces or characters that need quoting".into())
    } else if host.is_empty() && !url.starts_with("file://") {
        Err("expected a host after the scheme".into())
    } else if url.starts_with("file://") && !rest.starts_with('/') {
        Err("expected an absolute path after file://".into())
    } else {
        Ok(())
    }
}

/// Writes the feed set into `dir` (created if needed); returns the files in `gbfs.json` order.
pub fn write_feeds(
    dir: &Path,
    version: GbfsVersion,
    snapshot: &GbfsSnapshot,
) -> Result<Vec<PathBuf>, GbfsError> {
    std::fs::create_dir_all(dir).map_err(|source| GbfsError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let feeds = Feeds { version, snapshot };
    let mut written = Vec::new();
    for name in version.feeds() {
        let data = match name {
            "gbfs" => feeds.discovery(),
            "system_information" => feeds.system_information(),
            "vehicle_types" => feeds.vehicle_types(),
            "station_information" => feeds.station_information(),
            "station_status" => feeds.station_status(),
            "geofencing_zones" => feeds.geofencing_zones(),
            _ => feeds.vehicles(),
        };
        let path = dir.join(format!("{name}.json"));
        write_json_whole(&path, &feeds.envelope(data)).map_err(|source| GbfsError::Io {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// Writes `value` as pretty JSON, whole or not at all: through a temporary name, so a reader
/// polling the folder never sees half a file (GBFS feeds, MDS policies).
pub fn write_json_whole(path: &Path, value: &Value) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(value).expect("JSON values always serialise");
    text.push('\n');
    let partial = path.with_extension("json.partial");
    std::fs::write(&partial, text).and_then(|()| std::fs::rename(&partial, path))
}

struct Feeds<'a> {
    version: GbfsVersion,
    snapshot: &'a GbfsSnapshot,
}

impl Feeds<'_> {
    fn v3(&self) -> bool {
        self.version == GbfsVersion::V3_0
    }

    /// What 2.3 calls one thing and 3.0 another.
    fn by_version<T>(&self, v2_3: T, v3_0: T) -> T {
        if self.v3() { v3_0 } else { v2_3 }
    }

    /// POSIX seconds in 2.3, RFC 3339 with the city's offset in 3.0.
    fn time(&self, unix: i64) -> Value {
        if self.v3() {
            json!(rfc3339(unix, self.snapshot.system.utc_offset_s))
        } else {
            json!(unix)
        }
    }

    /// A plain string in 2.3, localised strings in 3.0.
    fn text(&self, text: &str) -> Value {
        if self.v3() {
            json!([{"text": text, "language": self.snapshot.system.language}])
        } else {
            json!(text)
        }
    }

    fn envelope(&self, data: Value) -> Value {
        json!({
            "last_updated": self.time(self.snapshot.last_updated),
            "ttl": self.snapshot.ttl,
            "version": self.version.as_str(),
            "data": data,
        })
    }

    fn discovery(&self) -> Value {
        let base = &self.snapshot.system.base_url;
        let feeds: Vec<Value> = self
            .version
            .feeds()
            .iter()
            .map(|name| json!({"name": name, "url": format!("{base}{name}.json")}))
            .collect();
        if self.v3() {
            json!({ "feeds": feeds })
        } else {
            json!({ self.snapshot.system.language.as_str(): { "feeds": feeds } })
        }
    }

    fn system_information(&self) -> Value {
        let s = &self.snapshot.system;
        let mut info = json!({
            "system_id": s.system_id,
            "name": self.text(&s.name),
            "timezone": s.timezone,
            "feed_contact_email": s.feed_contact_email,
        });
        if self.v3() {
            info["languages"] = json!([s.language]);
            info["opening_hours"] = json!("24/7");
        } else {
            info["language"] = json!(s.language);
        }
        info
    }

    fn vehicle_types(&self) -> Value {
        json!({"vehicle_types": [{
            "vehicle_type_id": VEHICLE_TYPE,
            "form_factor": "bicycle",
            "propulsion_type": "human",
            "name": self.text("Shared bike"),
        }]})
    }

    fn station_information(&self) -> Value {
        let stations: Vec<Value> = self
            .snapshot
            .stations
            .iter()
            .map(|s| {
                json!({
                    "station_id": s.id,
                    "name": self.text(&s.name),
                    "lat": degrees(s.lat),
                    "lon": degrees(s.lon),
                    "capacity": s.capacity,
                    "is_virtual_station": true,
                    "station_area": multipolygon(&s.area),
                })
            })
            .collect();
        json!({ "stations": stations })
    }

    fn station_status(&self) -> Value {
        let (available, disabled) = self.by_version(
            ("num_bikes_available", "num_bikes_disabled"),
            ("num_vehicles_available", "num_vehicles_disabled"),
        );
        let stations: Vec<Value> = self
            .snapshot
            .stations
            .iter()
            .map(|s| {
                json!({
                    "station_id": s.id,
                    available: s.bikes_available,
                    disabled: s.bikes_disabled,
                    "vehicle_types_available": [
                        {"vehicle_type_id": VEHICLE_TYPE, "count": s.bikes_available + s.bikes_disabled}
                    ],
                    "is_installed": true,
                    "is_renting": true,
                    "is_returning": true,
                    "last_reported": self.time(self.snapshot.last_updated),
                })
            })
            .collect();
        json!({ "stations": stations })
    }

    fn vehicles(&self) -> Value {
        let (list, id) = self.by_version(("bikes", "bike_id"), ("vehicles", "vehicle_id"));
        let vehicles: Vec<Value> = self
            .snapshot
            .vehicles
            .iter()
            .map(|v| {
                let mut out = json!({
                    id: v.id,
                    "lat": degrees(v.lat),
                    "lon": degrees(v.lon),
                    "is_reserved": false,
                    "is_disabled": v.is_disabled,
                    "vehicle_type_id": VEHICLE_TYPE,
                    "last_reported": self.time(self.snapshot.last_updated),
                });
                if let Some(station) = &v.station_id {
                    out["station_id"] = json!(station);
                }
                out
            })
            .collect();
        json!({ list: vehicles })
    }

    /// The fences as zones where rides may start and end and bikes must be parked at the
    /// station; in 3.0 a global rule forbids ending a ride anywhere else.
    fn geofencing_zones(&self) -> Value {
        let rule = if self.v3() {
            json!({"ride_start_allowed": true, "ride_end_allowed": true,
                   "ride_through_allowed": true, "station_parking": true})
        } else {
            json!({"ride_allowed": true, "ride_through_allowed": true, "station_parking": true})
        };
        let features: Vec<Value> = self
            .snapshot
            .zones
            .iter()
            .map(|z| {
                json!({
                    "type": "Feature",
                    "geometry": multipolygon(&z.area),
                    "properties": {"name": self.text(&z.name), "rules": [rule]},
                })
            })
            .collect();
        let mut data = json!({
            "geofencing_zones": {"type": "FeatureCollection", "features": features}
        });
        if self.v3() {
            data["global_rules"] = json!([{"ride_start_allowed": true, "ride_end_allowed": false,
                                           "ride_through_allowed": true}]);
        }
        data
    }
}

/// A GeoJSON MultiPolygon, rings closed as GeoJSON requires.
pub(crate) fn multipolygon(area: &MultiPolygon<f64>) -> Value {
    let ring = |r: &geo::LineString<f64>| -> Value {
        let mut points: Vec<[f64; 2]> = r.0.iter().map(|c| [degrees(c.x), degrees(c.y)]).collect();
        if points.first() != points.last()
            && let Some(&first) = points.first()
        {
            points.push(first);
        }
        json!(points)
    };
    let polygons: Vec<Value> = area
        .0
        .iter()
        .map(|p| {
            let mut rings = vec![ring(p.exterior())];
            rings.extend(p.interiors().iter().map(ring));
            json!(rings)
        })
        .collect();
    json!({"type": "MultiPolygon", "coordinates": polygons})
}

/// Degrees to 7 decimals (about a centimetre): what a position means, in a tenth of the bytes.
fn degrees(value: f64) -> f64 {
    (value * 1e7).round() / 1e7
}

#[cfg(test)]
mod tests {
    use super::super::read::{
        read_geofencing_zones, read_station_information, read_station_status, read_vehicle_status,
    };
    use super::*;

    #[test]
    fn feed_urls_must_be_absolute_and_plain() {
        for ok in [
            "https://feeds.example.org/gbfs",
            "http://localhost:8080/",
            "file:///srv/gbfs",
        ] {
            assert_eq!(check_feed_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "not a url",
            "feeds.example.org",
            "https://",
            "https://a b/",
            "file://x",
        ] {
            assert!(check_feed_url(bad).is_err(), "{bad}");
        }
    }
    use geo::{LineString, Polygon};

    fn snapshot() -> GbfsSnapshot {
        let square = |x: f64| {
            MultiPolygon(vec![Polygon::new(
                LineString::from(vec![
                    (x, 30.0),
                    (x + 0.001, 30.0),
                    (x + 0.001, 30.001),
                    (x, 30.0),
                ]),
                vec![],
            )])
        };
        GbfsSnapshot {
            system: GbfsSystem {
                system_id: "test".into(),
                name: "Test bikes".into(),
                language: "en".into(),
                timezone: "Asia/Shanghai".into(),
                utc_offset_s: 8 * 3600,
                feed_contact_email: "ops@example.org".into(),
                base_url: "https://example.org/gbfs/".into(),
            },
            last_updated: 1_736_121_600,
            ttl: 60,
            stations: vec![StationSnapshot {
                id: "fence0".into(),
                name: "Metro exit A".into(),
                lon: 104.0005,
                lat: 30.0005,
                area: square(104.0),
                capacity: 20,
                bikes_available: 1,
                bikes_disabled: 1,
            }],
            vehicles: vec![
                VehicleSnapshot {
                    id: "a1".into(),
                    lon: 104.0004,
                    lat: 30.0003,
                    station_id: Some("fence0".into()),
                    is_disabled: false,
                },
                VehicleSnapshot {
                    id: "b2".into(),
                    lon: 104.0006,
                    lat: 30.0002,
                    station_id: Some("fence0".into()),
                    is_disabled: true,
                },
                VehicleSnapshot {
                    id: "c3".into(),
                    lon: 104.01,
                    lat: 30.01,
                    station_id: None,
                    is_disabled: false,
                },
            ],
            zones: vec![GbfsZone {
                name: "Metro exit A".into(),
                area: square(104.0),
            }],
        }
    }

    #[test]
    fn both_versions_read_back_as_written() {
        let snap = snapshot();
        for version in GbfsVersion::ALL {
            let scratch = tempfile::tempdir().unwrap();
            let dir = scratch.path();
            let files = write_feeds(dir, version, &snap).unwrap();
            assert_eq!(files.len(), 7);
            let stations = read_station_information(&dir.join("station_information.json")).unwrap();
            assert_eq!(stations.len(), 1);
            assert_eq!(
                (
                    stations[0].id.as_str(),
                    stations[0].name.as_str(),
                    stations[0].capacity
                ),
                ("fence0", "Metro exit A", Some(20))
            );
            assert_eq!((stations[0].lon, stations[0].lat), (104.0005, 30.0005));
            let status = read_station_status(&dir.join("station_status.json")).unwrap();
            assert_eq!(status[0].bikes_available, 1);
            assert_eq!(status[0].last_reported, Some(snap.last_updated));
            let vehicles =
                read_vehicle_status(&dir.join(format!("{}.json", version.vehicles_feed())))
                    .unwrap();
            let got: Vec<_> = vehicles
                .iter()
                .map(|v| {
                    (
                        v.id.as_str(),
                        v.station_id.as_deref(),
                        v.is_disabled,
                        v.lon_lat,
                    )
                })
                .collect();
            assert_eq!(
                got,
                vec![
                    ("a1", Some("fence0"), false, Some((104.0004, 30.0003))),
                    ("b2", Some("fence0"), true, Some((104.0006, 30.0002))),
                    ("c3", None, false, Some((104.01, 30.01))),
                ]
            );
            let zones = read_geofencing_zones(&dir.join("geofencing_zones.json")).unwrap();
            assert_eq!(zones[0].name, "Metro exit A");
            // a closed ring of three corners
            assert_eq!(zones[0].area.0[0].exterior().0.len(), 4);
            // the same state gives the same bytes
            let again = dir.join("again");
            write_feeds(&again, version, &snap).unwrap();
            for f in &files {
                let name = f.file_name().unwrap();
                assert_eq!(
                    std::fs::read(f).unwrap(),
                    std::fs::read(again.join(name)).unwrap()
                );
            }
        }
    }
}
