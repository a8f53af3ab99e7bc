//! The services cases are filed under (Open311 `service_code`s), the teams responsible for
//! them, and the rule-based classifier that files a citizen's free-text report.
//!
//! A scene may replace the whole catalogue; [`ServiceCatalog::default`] is what a city
//! operations centre of the kind citytwin models runs: traffic police, the bike operators,
//! environmental protection, urban management, municipal works and IoT maintenance.
//!
//! **Classifier**: a report is lower-cased; each service scores one point per keyword found
//! in it (Chinese keywords match as substrings, since Chinese has no spaces; English ones as
//! substrings too, so "bikes" matches "bike"). The highest score wins, ties going to the
//! service listed first; a report matching no keyword is "not responsible".

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub code: String,
    pub name: String,
    /// The team cases of this service are dispatched to.
    pub team: String,
    /// Minutes from discovery to disposal the service promises.
    pub sla_minutes: u32,
    /// Time on site is log-normal: this median (minutes)...
    pub disposal_median_minutes: f64,
    /// ...and this σ of its logarithm.
    pub disposal_sigma: f64,
    /// Share of disposed cases the evaluation finds not fixed, which are reopened.
    pub reopen_share: f64,
    /// Words that file a report under this service (any language).
    #[serde(default)]
    pub keywords: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub name: String,
    pub crews: u32,
    /// What the team's crews ride to a case (cars by default).
    #[serde(default)]
    pub vehicle: CrewVehicle,
}

/// How a crew gets through traffic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CrewVehicle {
    /// A van or car: stuck in the same queues as everyone (current link travel times).
    #[default]
    Car,
    /// A patrol motorcycle, as Chinese traffic police's 铁骑 units ride precisely so they
    /// pass between queued cars: free-flow link travel times whatever the traffic.
    Motorcycle,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceCatalog {
    pub services: Vec<Service>,
    pub teams: Vec<Team>,
    /// Minutes after disposal that the case is evaluated (the return visit).
    pub evaluation_minutes: u32,
}

fn service(
    code: &str,
    name: &str,
    team: &str,
    sla_minutes: u32,
    disposal_median_minutes: f64,
    keywords: &[&str],
) -> Service {
    Service {
        code: code.into(),
        name: name.into(),
        team: team.into(),
        sla_minutes,
        disposal_median_minutes,
        disposal_sigma: 0.5,
        reopen_share: 0.05,
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
    }
}

/// Service codes the simulation's own alarms are filed under.
pub mod codes {
    pub const CONGESTION: &str = "traffic.congestion";
    pub const BIKE_OVERFLOW: &str = "bikes.overflow";
    pub const BIKE_EMPTY: &str = "bikes.empty";
    pub const AIR: &str = "air.pollution";
    pub const SENSOR_FAULT: &str = "sensor.fault";
    pub const READING: &str = "sensor.reading";
}

impl Default for ServiceCatalog {
    fn default() -> Self {
        let team = |name: &str, crews| Team {
            name: name.into(),
            crews,
            vehicle: if name == "traffic police" {
                CrewVehicle::Motorcycle
            } else {
                CrewVehicle::Car
            },
        };
        ServiceCatalog {
            services: default_services(),
            teams: vec![
                team("traffic police", 6),
                team("bike operator", 4),
                team("environmental protection", 2),
                team("IoT maintenance", 2),
                team("urban management", 4),
                team("municipal works", 2),
            ],
            evaluation_minutes: 30,
        }
    }
}

/// The default catalogue's services: Chinese 12345 hotline categories with their team, SLA
/// (minutes), time on site and the words that file a report under them; first those of
/// traffic and shared bikes.
fn default_services() -> Vec<Service> {
    use codes::*;
    vec![
        service(
            CONGESTION,
            "交通拥堵 traffic congestion",
            "traffic police",
            60,
            20.0,
            &[
                "拥堵",
                "堵车",
                "塞车",
                "堵",
                "traffic jam",
                "congestion",
                "gridlock",
            ],
        ),
        service(
            "traffic.incident",
            "交通事故 traffic incident",
            "traffic police",
            // a lane-blocking minor collision: cleared within the hour, 20 min on
            // site (MUTCD 6I.01's minor incident is under 30 min); an SLA shorter
            // than the time on site could never be met
            60,
            20.0,
            &["事故", "追尾", "撞", "accident", "crash", "collision"],
        ),
        service(
            BIKE_OVERFLOW,
            "共享单车乱停放 bike parking overflow",
            "bike operator",
            60,
            15.0,
            &["共享单车", "单车", "乱停", "占道", "bike", "bicycle"],
        ),
        service(
            BIKE_EMPTY,
            "无车可借 no bikes to rent",
            "bike operator",
            120,
            15.0,
            &["没有车", "无车", "no bikes"],
        ),
    ]
    .into_iter()
    .chain(city_services())
    .collect()
}

/// The default catalogue's services of the city's sensors, roads and streets.
fn city_services() -> Vec<Service> {
    use codes::*;
    vec![
        service(
            AIR,
            "大气污染 air pollution",
            "environmental protection",
            240,
            60.0,
            &[
                "雾霾", "焚烧", "扬尘", "烟", "臭", "smog", "smoke", "burning", "dust",
            ],
        ),
        service(
            SENSOR_FAULT,
            "设备故障 sensor fault",
            "IoT maintenance",
            480,
            45.0,
            &["传感器", "设备故障", "sensor", "detector"],
        ),
        service(
            READING,
            "读数超限 reading out of bounds",
            "urban management",
            240,
            30.0,
            &[],
        ),
        service(
            "road.damage",
            "道路破损 road damage",
            "municipal works",
            1440,
            90.0,
            &[
                "坑",
                "井盖",
                "破损",
                "塌",
                "pothole",
                "manhole",
                "road damage",
            ],
        ),
        service(
            "urban.noise",
            "噪声扰民 noise",
            "urban management",
            240,
            30.0,
            &["噪音", "噪声", "施工", "noise", "loud"],
        ),
        service(
            "urban.sanitation",
            "环境卫生 sanitation",
            "urban management",
            240,
            30.0,
            &["垃圾", "脏", "garbage", "rubbish", "litter", "trash"],
        ),
    ]
}

/// Square kilometres one crew of a team covers in the default catalogue, so a city's teams
/// grow with it (docs/ops.md): a traffic-police crew (a patrol or a post) per km² of a dense
/// centre at peak, an urban-management crew per 5 km², as Chinese grid management staffs its
/// units.
const KM2_PER_CREW: [(&str, f64); 6] = [
    ("traffic police", 1.0),
    ("bike operator", 10.0),
    ("environmental protection", 30.0),
    ("IoT maintenance", 30.0),
    ("urban management", 5.0),
    ("municipal works", 20.0),
];

impl ServiceCatalog {
    /// The default catalogue with each team's crews for a city of `area_km2` (at least the
    /// default's own crews).
    pub fn for_area(area_km2: f64) -> ServiceCatalog {
        let mut catalog = ServiceCatalog::default();
        for team in &mut catalog.teams {
            if let Some((_, km2)) = KM2_PER_CREW.iter().find(|(name, _)| *name == team.name) {
                let sized = (area_km2.max(0.0) / km2).ceil() as u32;
                team.crews = team.crews.max(sized);
            }
        }
        catalog
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CatalogError {
    #[error("service `{service}`: team `{team}` is not in the catalogue's teams")]
    UnknownTeam { service: String, team: String },
    #[error("service `{0}` is listed twice")]
    DuplicateService(String),
    #[error("service `{service}`: {field} must be {expected}")]
    Field {
        service: String,
        field: &'static str,
        expected: &'static str,
    },
}

impl ServiceCatalog {
    pub fn check(&self) -> Result<(), CatalogError> {
        for (i, s) in self.services.iter().enumerate() {
            if self.services[..i].iter().any(|o| o.code == s.code) {
                return Err(CatalogError::DuplicateService(s.code.clone()));
            }
            if self.team(&s.team).is_none() {
                return Err(CatalogError::UnknownTeam {
                    service: s.code.clone(),
                    team: s.team.clone(),
                });
            }
            let field = |field, expected| CatalogError::Field {
                service: s.code.clone(),
                field,
                expected,
            };
            if !(s.disposal_median_minutes.is_finite() && s.disposal_median_minutes > 0.0) {
                return Err(field("disposal_median_minutes", "a positive number"));
            }
            if !(s.disposal_sigma.is_finite() && s.disposal_sigma >= 0.0) {
                return Err(field("disposal_sigma", "0 or more"));
            }
            if !(0.0..=1.0).contains(&s.reopen_share) {
                return Err(field("reopen_share", "between 0 and 1"));
            }
            // most cases would miss it: the median case spends longer than this on site
            if f64::from(s.sla_minutes) <= s.disposal_median_minutes {
                return Err(field(
                    "sla_minutes",
                    "longer than disposal_median_minutes (the time on site of a typical case)",
                ));
            }
        }
        Ok(())
    }

    pub fn service(&self, code: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.code == code)
    }

    pub fn team(&self, name: &str) -> Option<usize> {
        self.teams.iter().position(|t| t.name == name)
    }

    /// The service a free-text report is filed under (see the module's rule), if any.
    pub fn classify(&self, text: &str) -> Option<&Service> {
        let text = text.to_lowercase();
        let mut best: Option<(&Service, usize)> = None;
        for s in &self.services {
            let score = s
                .keywords
                .iter()
                .filter(|k| text.contains(&k.to_lowercase()))
                .count();
            if score > 0 && best.is_none_or(|(_, b)| score > b) {
                best = Some((s, score));
            }
        }
        best.map(|(s, _)| s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teams_grow_with_the_city() {
        let small = ServiceCatalog::for_area(1.0);
        assert_eq!(
            small,
            ServiceCatalog::default(),
            "never fewer than the defaults"
        );
        let demo = ServiceCatalog::for_area(70.9);
        let crews = |c: &ServiceCatalog, team: &str| {
            c.teams.iter().find(|t| t.name == team).map(|t| t.crews)
        };
        assert_eq!(crews(&demo, "traffic police"), Some(71));
        assert_eq!(crews(&demo, "urban management"), Some(15));
        assert!(demo.check().is_ok());
    }

    #[test]
    fn reports_in_chinese_and_english_are_filed_by_their_keywords() {
        let cat = ServiceCatalog::default();
        cat.check().expect("the default catalogue is consistent");
        let code = |t: &str| cat.classify(t).map(|s| s.code.as_str());
        assert_eq!(
            code("人民北路堵车严重，半小时没动"),
            Some("traffic.congestion")
        );
        assert_eq!(code("地铁口共享单车乱停，占道"), Some("bikes.overflow"));
        assert_eq!(
            code("Smoke from burning rubbish near the market"),
            Some("air.pollution")
        );
        assert_eq!(code("井盖丢了，路面破损"), Some("road.damage"));
        assert_eq!(code("两车追尾事故"), Some("traffic.incident"));
        assert_eq!(
            code("Loud construction noise at night"),
            Some("urban.noise")
        );
        assert_eq!(code("我想问一下天气"), None);
    }

    #[test]
    fn an_sla_no_typical_case_can_meet_is_refused() {
        let mut cat = ServiceCatalog::default();
        cat.services[0].sla_minutes = 20;
        cat.services[0].disposal_median_minutes = 30.0;
        let err = cat.check().expect_err("20 min SLA, 30 min on site");
        assert!(
            err.to_string().contains("sla_minutes must be longer"),
            "{err}"
        );
        cat.services[0].sla_minutes = 31;
        assert!(cat.check().is_ok());
    }

    #[test]
    fn a_catalogue_naming_a_missing_team_is_refused() {
        let mut cat = ServiceCatalog::default();
        cat.services[0].team = "nobody".into();
        assert_eq!(
            cat.check(),
            Err(CatalogError::UnknownTeam {
                service: "traffic.congestion".into(),
                team: "nobody".into()
            })
        );
    }
}
