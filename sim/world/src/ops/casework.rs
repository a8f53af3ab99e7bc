//! Cases the operations centre opens: from fence alarms at monitoring points, from citizens'
//! reports, from vital signs red for long enough; each filed with its place and origin.

use super::*;

impl OpsSim {
    pub(super) fn open_case(&mut self, now: u32, filing: Filing, link: Option<LinkId>) {
        let cell = self.grid.cell_at(filing.point);
        self.case_places.push(Place {
            cell,
            district: cell.and_then(|c| self.grid.district(c)),
        });
        self.desk.open(filing, link, now);
    }

    pub(super) fn filing(
        &self,
        code: &str,
        description: String,
        origin: Origin,
        point: Point<f64>,
    ) -> Filing {
        let (lon, lat) = self.lonlat.of(point);
        Filing {
            service_code: code.into(),
            description,
            origin,
            point,
            lon,
            lat,
            cell_code: self.grid.cell_at(point).map(|c| self.grid.code(c)),
        }
    }

    pub(super) fn open_bike_cases(&mut self, now: u32, bikes: &BikeSim) {
        let events = bikes.alarm_events();
        let new: Vec<_> = events[self.bike_events_seen.min(events.len())..]
            .iter()
            .filter(|e| e.opened)
            .cloned()
            .collect();
        self.bike_events_seen = events.len();
        for e in new {
            let Some(site) = self.fences.get(e.fence.index()).copied() else {
                continue;
            };
            let name = bikes
                .plan
                .fences
                .get(e.fence)
                .map_or(String::new(), |f| f.name.clone());
            let (code, what) = match e.kind {
                AlarmKind::Overflow => (codes::BIKE_OVERFLOW, "over capacity"),
                AlarmKind::IllegalParking => (codes::BIKE_OVERFLOW, "bikes parked outside it"),
                // the operator's own business (a rebalancing task, a bike to collect): no
                // case for the city, as digital city management files only what the public
                // space suffers from (pile-ups, bikes parked outside fences)
                AlarmKind::Empty | AlarmKind::Blacklist | AlarmKind::Broken => continue,
            };
            let description = format!("fence {name} {what} (capacity {})", site.capacity);
            let key = format!("{}:{}", code, e.fence);
            let filing = self.filing(code, description, Origin::Alarm { key }, site.centre);
            self.open_case(now, filing, site.link);
        }
    }

    pub(super) fn open_report_cases(&mut self, now: u32) {
        while let Some((r, link)) = self.reports.get(self.next_report).cloned() {
            if r.at_s > now {
                break;
            }
            self.next_report += 1;
            let code = self
                .desk
                .catalog
                .classify(&r.text)
                .map_or(String::from("unclassified"), |s| s.code.clone());
            let origin = Origin::Report {
                text: r.text.clone(),
            };
            let mut filing = self.filing(&code, r.text, origin, r.point);
            // the reporter's own coordinates, not the ones mapped back from the city CRS
            (filing.lon, filing.lat) = (r.lon, r.lat);
            self.open_case(now, filing, link);
        }
    }

    pub(super) fn open_vital_case(&mut self, now: u32, indicator: Indicator, scope: Scope) {
        // cases are raised per grid cell, the unit of grid management
        let Scope::Cell(cell) = scope else {
            return;
        };
        let code = match indicator {
            Indicator::TravelTimeIndex => codes::CONGESTION,
            Indicator::Aqi => codes::AIR,
            Indicator::Reading(_) => codes::READING,
            _ => return,
        };
        let point = self.grid.centre(cell);
        let value = self.vitals.get(indicator, scope).map_or(0.0, |v| v.value);
        let cell_code = self.grid.code(cell);
        let description = format!("{} red at {value:.1} in cell {cell_code}", indicator.key());
        let key = format!("{}@{cell_code}", indicator.key());
        let link = self.cell_links[self.grid.slot(cell)];
        let filing = self.filing(code, description, Origin::Alarm { key }, point);
        self.open_case(now, filing, link);
    }
}
