//! The case desk: opens cases, dispatches each to the nearest free crew of the team its
//! service names (by road travel time, which the caller supplies), and moves it through the
//! loop on simulated time.
//!
//! A crew drives to the case (dispatched → in progress on arrival), stays a log-normal time
//! drawn for the service (→ disposed; the crew is free again, where the case was), and the
//! case is evaluated `evaluation_minutes` later: closed, or — with the service's
//! `reopen_share` — reopened and queued again. Waiting cases are dispatched oldest first. A
//! second alarm of something that already has an open case is recorded as a duplicate; a
//! report no service takes is closed as not responsible.

use crate::cases::{Case, CaseState, Filing, Origin};
use crate::services::{CrewVehicle, ServiceCatalog};
use citytwin_city::rng::SimRng;
use citytwin_city::{CaseId, CrewId, LinkId};
use serde::{Deserialize, Serialize};

/// Seconds to drive from one link to another in this vehicle now (`None`: no road).
pub type TravelTime<'a> = dyn FnMut(LinkId, LinkId, CrewVehicle) -> Option<f64> + 'a;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Crew {
    pub team: usize,
    pub link: LinkId,
    /// The case it works on, if any.
    pub case: Option<CaseId>,
}

/// A scheduled move of a case.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Due {
    at_s: u32,
    to: CaseState,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseDesk {
    pub catalog: ServiceCatalog,
    pub crews: Vec<Crew>,
    cases: Vec<Case>,
    links: Vec<Option<LinkId>>,
    due: Vec<Option<Due>>,
    rng: SimRng,
}

/// Counts of cases by where they stand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Backlog {
    pub at_s: u32,
    /// Not yet closed.
    pub open: u32,
    /// Discovered or reopened, waiting for a crew.
    pub waiting: u32,
}

impl CaseDesk {
    /// `crew_links[team]` places each of that team's crews (their count is the catalogue's).
    pub fn new(catalog: ServiceCatalog, crew_links: &[Vec<LinkId>], seed: u64) -> CaseDesk {
        let crews = crew_links
            .iter()
            .enumerate()
            .flat_map(|(team, links)| {
                links.iter().map(move |&link| Crew {
                    team,
                    link,
                    case: None,
                })
            })
            .collect();
        CaseDesk {
            catalog,
            crews,
            cases: Vec::new(),
            links: Vec::new(),
            due: Vec::new(),
            rng: SimRng::fork(seed, "cases"),
        }
    }

    pub fn cases(&self) -> &[Case] {
        &self.cases
    }

    /// Whether an alarm with this key has a case still open.
    pub fn has_open(&self, key: &str) -> bool {
        self.cases.iter().any(|c| {
            !c.state().is_closed()
                && matches!(&c.filing.origin, Origin::Alarm { key: k } if k == key)
        })
    }

    /// Opens a case at `now_s` whose crews drive to `link` (`None` where no road reaches
    /// the place); returns its id.
    pub fn open(&mut self, filing: Filing, link: Option<LinkId>, now_s: u32) -> CaseId {
        let id = CaseId::from_index(self.cases.len());
        let duplicate = match &filing.origin {
            Origin::Alarm { key } => self.has_open(key),
            Origin::Report { .. } => false,
        };
        let service = self.catalog.service(&filing.service_code);
        let sla_s = service.map_or(0, |s| s.sla_minutes * 60);
        let mut case = Case::discovered(id, filing, now_s, sla_s);
        let closing = if duplicate {
            Some((
                CaseState::Duplicate,
                "an open case already covers this alarm",
            ))
        } else if service.is_none() {
            Some((CaseState::NotResponsible, "no service takes this"))
        } else if link.is_none() {
            Some((CaseState::NotResponsible, "no road reaches the place"))
        } else {
            None
        };
        if let Some((state, note)) = closing {
            case.advance(state, now_s, note)
                .expect("a discovered case may be closed at once");
        }
        self.cases.push(case);
        self.links.push(link);
        self.due.push(None);
        id
    }

    /// Moves every case whose time has come, then dispatches waiting cases to free crews.
    /// `travel(from, to, vehicle)` is the road travel time in seconds between two links.
    pub fn step(&mut self, now_s: u32, travel: &mut TravelTime<'_>) {
        for i in 0..self.cases.len() {
            let Some(due) = self.due[i].filter(|d| d.at_s <= now_s) else {
                continue;
            };
            self.due[i] = None;
            self.arrive_at(i, due);
        }
        self.dispatch_waiting(now_s, travel);
    }

    fn arrive_at(&mut self, i: usize, due: Due) {
        let code = self.cases[i].filing.service_code.clone();
        let Some(service) = self.catalog.service(&code).cloned() else {
            return;
        };
        let case = &mut self.cases[i];
        let moved = case.advance(due.to, due.at_s, "");
        debug_assert!(moved.is_ok(), "{moved:?}");
        match due.to {
            CaseState::InProgress => {
                let minutes = service.disposal_median_minutes
                    * (service.disposal_sigma * self.rng.normal()).exp();
                self.due[i] = Some(Due {
                    at_s: due.at_s + (minutes * 60.0).round().max(60.0) as u32,
                    to: CaseState::Disposed,
                });
            }
            CaseState::Disposed => {
                if let Some(crew) = case.crew.and_then(|c| self.crews.get_mut(c.index())) {
                    crew.case = None;
                    crew.link = self.links[i].unwrap_or(crew.link);
                }
                let evaluation = self.catalog.evaluation_minutes * 60;
                let reopen = self.rng.unit() < service.reopen_share;
                self.due[i] = Some(Due {
                    at_s: due.at_s + evaluation,
                    to: if reopen {
                        CaseState::Reopened
                    } else {
                        CaseState::Evaluated
                    },
                });
            }
            _ => {}
        }
    }

    fn dispatch_waiting(&mut self, now_s: u32, travel: &mut TravelTime<'_>) {
        for i in 0..self.cases.len() {
            let state = self.cases[i].state();
            if !matches!(state, CaseState::Discovered | CaseState::Reopened) {
                continue;
            }
            let (Some(service), Some(target)) = (
                self.catalog.service(&self.cases[i].filing.service_code),
                self.links[i],
            ) else {
                continue;
            };
            let Some(team) = self.catalog.team(&service.team) else {
                continue;
            };
            let vehicle = self.catalog.teams[team].vehicle;
            // the nearest free crew by travel time; ties to the lower crew number
            let mut best: Option<(usize, f64)> = None;
            for (c, crew) in self.crews.iter().enumerate() {
                if crew.team != team || crew.case.is_some() {
                    continue;
                }
                if let Some(s) = travel(crew.link, target, vehicle)
                    && best.is_none_or(|(_, b)| s < b)
                {
                    best = Some((c, s));
                }
            }
            let Some((c, seconds)) = best else {
                continue;
            };
            let team_name = service.team.clone();
            let case = &mut self.cases[i];
            let note = format!("crew {c} of {team_name}, {:.0} min away", seconds / 60.0);
            if case.advance(CaseState::Dispatched, now_s, &note).is_ok() {
                case.agency = Some(team_name);
                case.crew = Some(CrewId::from_index(c));
                self.crews[c].case = Some(case.id);
                self.due[i] = Some(Due {
                    at_s: now_s + seconds.round().max(0.0) as u32,
                    to: CaseState::InProgress,
                });
            }
        }
    }

    pub fn backlog(&self, now_s: u32) -> Backlog {
        let mut b = Backlog {
            at_s: now_s,
            ..Backlog::default()
        };
        for c in &self.cases {
            let state = c.state();
            if !state.is_closed() {
                b.open += 1;
            }
            if matches!(state, CaseState::Discovered | CaseState::Reopened) {
                b.waiting += 1;
            }
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filing(code: &str, key: &str) -> Filing {
        Filing {
            service_code: code.into(),
            description: String::new(),
            origin: Origin::Alarm { key: key.into() },
            point: geo::Point::new(0.0, 0.0),
            lon: 0.0,
            lat: 0.0,
            cell_code: None,
        }
    }

    /// Links on a line, 60 s apart.
    fn line(a: LinkId, b: LinkId, _: CrewVehicle) -> Option<f64> {
        Some(f64::from(a.0.abs_diff(b.0)) * 60.0)
    }

    #[test]
    fn a_case_goes_to_the_nearest_free_crew_and_round_the_loop() {
        let mut catalog = ServiceCatalog::default();
        for s in &mut catalog.services {
            s.reopen_share = 0.0;
        }
        let team = catalog.team("bike operator").expect("team");
        let mut crew_links = vec![Vec::new(); catalog.teams.len()];
        crew_links[team] = vec![LinkId(0), LinkId(10)];
        let mut desk = CaseDesk::new(catalog, &crew_links, 1);
        let a = desk.open(filing("bikes.overflow", "fence1"), Some(LinkId(8)), 0);
        let dup = desk.open(filing("bikes.overflow", "fence1"), Some(LinkId(8)), 0);
        let nobody = desk.open(filing("no.such", "x"), Some(LinkId(1)), 0);
        assert_eq!(desk.cases()[dup.index()].state(), CaseState::Duplicate);
        assert_eq!(
            desk.cases()[nobody.index()].state(),
            CaseState::NotResponsible
        );

        desk.step(0, &mut line);
        let case = &desk.cases()[a.index()];
        assert_eq!(case.state(), CaseState::Dispatched);
        assert_eq!(
            case.crew,
            Some(CrewId(1)),
            "the crew at link 10 is 2 min away, the other 8"
        );
        let mut t = 0;
        while !desk.cases()[a.index()].state().is_closed() && t < 86_400 {
            t += 60;
            desk.step(t, &mut line);
        }
        let case = &desk.cases()[a.index()];
        assert_eq!(case.first(CaseState::InProgress), Some(120));
        assert_eq!(case.state(), CaseState::Evaluated);
        assert_eq!(
            desk.crews[1].link,
            LinkId(8),
            "the crew stays where it worked"
        );
        assert_eq!(desk.backlog(t).open, 0);
    }

    #[test]
    fn cases_wait_for_a_free_crew_oldest_first() {
        let catalog = ServiceCatalog::default();
        let team = catalog.team("IoT maintenance").expect("team");
        let mut crew_links = vec![Vec::new(); catalog.teams.len()];
        crew_links[team] = vec![LinkId(0)];
        let mut desk = CaseDesk::new(catalog, &crew_links, 1);
        let first = desk.open(filing("sensor.fault", "a"), Some(LinkId(1)), 0);
        let second = desk.open(filing("sensor.fault", "b"), Some(LinkId(2)), 0);
        desk.step(0, &mut line);
        assert_eq!(desk.cases()[first.index()].state(), CaseState::Dispatched);
        assert_eq!(desk.cases()[second.index()].state(), CaseState::Discovered);
        assert_eq!(desk.backlog(0).waiting, 1);
        let mut t = 0;
        while desk.cases()[second.index()].state() == CaseState::Discovered && t < 86_400 {
            t += 60;
            desk.step(t, &mut line);
        }
        let disposed = desk.cases()[first.index()]
            .first(CaseState::Disposed)
            .expect("the first was disposed of");
        assert!(
            disposed <= t && t - disposed < 60,
            "the second waits until the crew is free: disposed {disposed}, dispatched {t}"
        );
    }

    #[test]
    fn each_team_drives_its_own_vehicle() {
        let catalog = ServiceCatalog::default();
        let police = catalog.team("traffic police").expect("team");
        let works = catalog.team("municipal works").expect("team");
        let mut crew_links = vec![Vec::new(); catalog.teams.len()];
        crew_links[police] = vec![LinkId(0)];
        crew_links[works] = vec![LinkId(0)];
        let mut desk = CaseDesk::new(catalog, &crew_links, 1);
        let jam = desk.open(filing("traffic.congestion", "jam"), Some(LinkId(5)), 0);
        let hole = desk.open(filing("road.damage", "hole"), Some(LinkId(5)), 0);
        // a jammed road: ten minutes by car, two between the queues
        let mut jammed = |_: LinkId, _: LinkId, vehicle: CrewVehicle| {
            Some(match vehicle {
                CrewVehicle::Car => 600.0,
                CrewVehicle::Motorcycle => 120.0,
            })
        };
        for t in (0..=600).step_by(60) {
            desk.step(t, &mut jammed);
        }
        assert_eq!(
            desk.cases()[jam.index()].first(CaseState::InProgress),
            Some(120)
        );
        assert_eq!(
            desk.cases()[hole.index()].first(CaseState::InProgress),
            Some(600)
        );
    }
}
