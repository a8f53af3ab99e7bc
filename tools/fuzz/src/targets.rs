//! The parsers under test: every reader of a file or message a user or a feed can hand us,
//! called through the same public entry point the CLI uses.

use citytwin_city::calendar::{DEFAULT_DATE, SimDay};
use std::fmt;
use std::path::Path;

/// One parser and the name of the file it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    OsmXml,
    OsmPbf,
    SceneRon,
    ScenarioRon,
    OpsRon,
    TripList,
    OdCsv,
    TntpNet,
    TntpTrips,
    GbfsJson,
    MqttPayload,
    Bundle,
}

impl Target {
    pub const ALL: [Target; 12] = [
        Target::OsmXml,
        Target::OsmPbf,
        Target::SceneRon,
        Target::ScenarioRon,
        Target::OpsRon,
        Target::TripList,
        Target::OdCsv,
        Target::TntpNet,
        Target::TntpTrips,
        Target::GbfsJson,
        Target::MqttPayload,
        Target::Bundle,
    ];

    /// The name on the command line and of its corpus folder.
    pub fn name(self) -> &'static str {
        match self {
            Target::OsmXml => "osm_xml",
            Target::OsmPbf => "osm_pbf",
            Target::SceneRon => "scene_ron",
            Target::ScenarioRon => "scenario_ron",
            Target::OpsRon => "ops_ron",
            Target::TripList => "trip_list",
            Target::OdCsv => "od_csv",
            Target::TntpNet => "tntp_net",
            Target::TntpTrips => "tntp_trips",
            Target::GbfsJson => "gbfs_json",
            Target::MqttPayload => "mqtt_payload",
            Target::Bundle => "bundle",
        }
    }

    /// The file an input is written to before the reader opens it (readers dispatch on the
    /// extension); `None` for parsers of bytes in memory.
    fn file_name(self) -> Option<&'static str> {
        match self {
            Target::OsmXml => Some("input.osm"),
            Target::OsmPbf => Some("input.osm.pbf"),
            Target::SceneRon => Some("scene.ron"),
            Target::ScenarioRon => Some("scenario.ron"),
            Target::OpsRon => Some("ops.ron"),
            Target::TripList => Some("trips.csv"),
            Target::OdCsv => Some("od.csv"),
            Target::TntpNet => Some("net.tntp"),
            Target::TntpTrips => Some("trips.tntp"),
            Target::GbfsJson => Some("feed.json"),
            Target::MqttPayload | Target::Bundle => None,
        }
    }

    /// Words of the format that random bytes rarely spell, for the mutator to insert.
    pub fn dictionary(self) -> &'static [&'static str] {
        match self {
            Target::OsmXml => &[
                "<node id=\"1\" lat=\"30.66\" lon=\"104.06\"/>",
                "<way id=\"2\">",
                "</way>",
                "<nd ref=\"1\"/>",
                "<tag k=\"highway\" v=\"primary\"/>",
                "<relation id=\"3\">",
                "<member type=\"way\" ref=\"2\" role=\"outer\"/>",
                "<tag k=\"oneway\" v=\"-1\"/>",
                "<tag k=\"lanes\" v=\"99999\"/>",
                "<tag k=\"maxspeed\" v=\"NaN mph\"/>",
                "<![CDATA[",
                "&amp;",
                "&#0;",
            ],
            Target::OsmPbf => &["OSMHeader", "OSMData", "DenseNodes", "\u{78}\u{9c}"],
            Target::SceneRon | Target::ScenarioRon | Target::OpsRon => &[
                "Some(",
                "None",
                "(",
                ")",
                "[",
                "]",
                "{",
                "}",
                ":",
                "\"",
                "r#\"",
                "1e309",
                "-0.0",
                "NaN",
                "inf",
                "CloseRoad(way: 1, from: \"07:00\", to: \"09:00\")",
                "ScaleDemand(factor: 2.0)",
                "Crews(crews: 4294967295)",
                "date: \"2016-02-30\"",
                "timezone: Some(\"Mars/Olympus\")",
            ],
            Target::TripList | Target::OdCsv => &[
                ",",
                "\"",
                "\r\n",
                "\u{feff}",
                "25:00",
                "48:00:01",
                "-1",
                "1e15",
                "NaN",
                "青羊区",
            ],
            Target::TntpNet | Target::TntpTrips => &[
                "<NUMBER OF ZONES>",
                "<NUMBER OF NODES>",
                "<NUMBER OF LINKS>",
                "<FIRST THRU NODE>",
                "<TOTAL OD FLOW>",
                "<END OF METADATA>",
                "Origin",
                ";",
                "~",
                "2000000000",
                "-1",
                "1e-300",
            ],
            Target::GbfsJson => &[
                "\"data\":",
                "\"stations\":",
                "\"lat\":",
                "\"lon\":",
                "\"capacity\":",
                "null",
                "[]",
                "{}",
                "1e400",
                "-90.0001",
                "\"\\ud800\"",
            ],
            Target::MqttPayload => &[
                "{\"phenomenonTime\": \"2025-01-06T08:00:00+08:00\", \"result\": 1}",
                "Datastreams(",
                "/v1.1/",
                "\"result\":",
                "2025-02-31T08:00:00Z",
                "+14:00",
                "1e309",
            ],
            Target::Bundle => &["CTBUNDLE"],
        }
    }

    /// Runs the parser on `input` (written into `scratch` first where it reads a file):
    /// `Ok(())` when it accepted the input, its error message otherwise. A panic is a bug.
    pub fn run(self, input: &[u8], scratch: &Path) -> Result<(), String> {
        let path = self.file_name().map(|name| scratch.join(name));
        if let Some(path) = &path {
            std::fs::write(path, input).map_err(|e| format!("scratch file: {e}"))?;
        }
        let path = path.as_deref().unwrap_or(Path::new("input"));
        match self {
            Target::OsmXml | Target::OsmPbf => outcome(citytwin_gis::osm::read(path)),
            Target::SceneRon => outcome(citytwin_city::scene::Scene::load(path)),
            Target::ScenarioRon => outcome(citytwin_sim::scenario::Scenario::load(path)),
            Target::OpsRon => outcome(citytwin_ops::setup::OpsFile::load(path)),
            Target::TripList => outcome(citytwin_traffic::demand::trip_list::read_trip_list(path)),
            Target::OdCsv => outcome(citytwin_traffic::demand::od::OdMatrix::read(path)),
            Target::TntpNet => outcome(citytwin_traffic::tntp::read_net(path)),
            Target::TntpTrips => outcome(citytwin_traffic::tntp::read_trips(path)),
            Target::GbfsJson => gbfs(path),
            Target::MqttPayload => mqtt(input),
            Target::Bundle => outcome(citytwin_city::CityBundle::from_bytes(input, path)),
        }
    }

    /// Gives a mutant a valid checksum again (for half of the bundle mutants), so that the
    /// decoder behind the check is reached: a CRC-32 rejects nearly every random change.
    pub fn reseal(self, input: &mut [u8]) {
        if self == Target::Bundle {
            citytwin_city::bundle::seal(input);
        }
    }
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Target, String> {
        Target::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Target::ALL.iter().map(|t| t.name()).collect();
                format!("`{s}`: expected one of {}", names.join(", "))
            })
    }
}

fn outcome<T, E: fmt::Display>(result: Result<T, E>) -> Result<(), String> {
    result.map(drop).map_err(|e| e.to_string())
}

/// A GBFS file is one of four kinds; each reader gets the same bytes.
fn gbfs(path: &Path) -> Result<(), String> {
    use citytwin_bikes::gbfs::read;
    let results = [
        read::read_station_information(path).map(drop),
        read::read_station_status(path).map(drop),
        read::read_vehicle_status(path).map(drop),
        read::read_geofencing_zones(path).map(drop),
    ];
    let errors: Vec<String> = results
        .into_iter()
        .filter_map(|r| r.err().map(|e| e.to_string()))
        .collect();
    match errors.len() {
        4 => Err(errors.join(" | ")),
        _ => Ok(()),
    }
}

/// A live message: the topic on the first line, the body after it.
fn mqtt(input: &[u8]) -> Result<(), String> {
    let split = input
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(input.len());
    let topic = String::from_utf8_lossy(&input[..split]);
    let body = input.get(split + 1..).unwrap_or_default();
    let day = SimDay::in_zone(DEFAULT_DATE, None).map_err(|e| e.to_string())?;
    citytwin_ops::wire::decode(&topic, body, &day)
        .map(drop)
        .map_err(|e| e.to_string())
}
