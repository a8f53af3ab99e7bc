//! What the vital signs are computed from: the sensors' fresh readings and the traffic model's
//! loads, and the data-quality periods the feeds are scored over.

use super::*;

impl OpsSim {
    pub(super) fn update_vitals(
        &mut self,
        now: u32,
        traffic: &TrafficSim,
        loads: &[LinkLoad],
        governance_score: Option<f64>,
    ) {
        let mut evidence = self.evidence(now, traffic, loads);
        evidence.governance_score = governance_score;
        self.vitals.update(&evidence);
        let red: Vec<(Indicator, Scope)> = self
            .vitals
            .newly_red(RED_UPDATES_FOR_ALARM)
            .map(|(k, _)| *k)
            .collect();
        for (indicator, scope) in red {
            self.open_vital_case(now, indicator, scope);
        }
        self.vital_rows
            .extend(report::rows(&self.vitals, now, &self.district_names));
        self.backlog.push(self.desk.backlog(now));
    }

    pub(super) fn evidence(&self, now: u32, traffic: &TrafficSim, loads: &[LinkLoad]) -> Evidence {
        let mut e = Evidence {
            at_s: now,
            ..Evidence::default()
        };
        for (l, load) in loads.iter().enumerate() {
            let (Some(Some(place)), Some(spec)) = (
                self.link_places.get(l),
                traffic.net.link(LinkId::from_index(l)),
            ) else {
                continue;
            };
            if load.vehicles == 0 || load.closed || load.speed_ratio <= 0.0 {
                continue;
            }
            let travel_s = f64::from(spec.free_flow_s.max(1)) / f64::from(load.speed_ratio);
            e.links.push(LinkReading {
                place: *place,
                vehicles: load.vehicles,
                length_m: spec.length_m,
                speed_kmh: spec.length_m / travel_s * 3.6,
                speed_ratio: f64::from(load.speed_ratio),
            });
        }
        for c in &self.layer.counters {
            let fresh = self.fresh(c.stream, now, 3 * 60);
            if let (Some(bikes), Some(site)) = (fresh, self.fences.get(c.fence.index())) {
                e.fences.push(FenceReading {
                    place: site.place,
                    bikes: bikes as u32,
                    capacity: site.capacity,
                });
            }
        }
        for s in &self.layer.stations {
            let get = |q: &Quantity| {
                let k = REPLAYED.iter().position(|r| r == q)?;
                self.fresh(s.streams[k], now, AIR_MAX_AGE_S)
            };
            let air = HourlyConcentrations {
                pm25_24h: get(&Quantity::Pm25Day),
                pm10_24h: get(&Quantity::Pm10Day),
                so2_1h: get(&Quantity::So2),
                no2_1h: get(&Quantity::No2),
                co_1h: get(&Quantity::Co),
                o3_1h: get(&Quantity::O3),
            };
            e.stations.push(StationReading {
                place: self.layer.places[s.thing.index()],
                air,
            });
        }
        for (c, place) in self.desk.cases().iter().zip(&self.case_places) {
            e.cases.push(CaseReading {
                place: *place,
                open: !c.state().is_closed(),
                sla_met: c.sla_met(),
            });
        }
        for f in self.feeds.iter() {
            let Some(t) = f.stream.thresholds else {
                continue;
            };
            let max_age = f.stream.interval_s * quality::STALE_INTERVALS;
            if let Some(value) = self.fresh(f.stream.id, now, max_age) {
                e.readings.push(SensorReading {
                    place: self.layer.places[f.stream.thing.index()],
                    datastream: f.stream.id,
                    value,
                    thresholds: t,
                });
            }
        }
        e
    }

    /// A feed's current reading if it is at most `max_age_s` old.
    pub(super) fn fresh(&self, stream: DatastreamId, now: u32, max_age_s: u32) -> Option<f64> {
        let feed = self.feeds.get(stream)?;
        let (t, v) = feed.current?;
        (now.saturating_sub(t) <= max_age_s).then_some(v)
    }

    pub(super) fn close_quality_period(&mut self, now: u32) {
        let from = self.period_start;
        let scores: Vec<QualityScore> = self
            .feeds
            .iter()
            .map(|f| quality::score(f, from, now))
            .collect();
        let mut faulty = Vec::new();
        for (f, s) in self.feeds.iter().zip(&scores) {
            if let Some(fault) = quality::fault(f, now, s.validity) {
                faulty.push((f.stream.id, f.stream.thing, fault, f.stream.name.clone()));
            }
        }
        for (ds, thing, fault, name) in faulty {
            self.faults.push((now, ds, fault));
            let point = self.layer.things[thing.index()].location.point;
            let link = self.layer.links[thing.index()];
            let what = match fault {
                FeedFault::Stale => "stale",
                FeedFault::Broken => "sending out-of-range values",
            };
            let key = format!("feed:{ds}");
            let description = format!("feed {name} is {what}");
            let filing = self.filing(
                codes::SENSOR_FAULT,
                description,
                Origin::Alarm { key },
                point,
            );
            self.open_case(now, filing, link);
        }
        self.quality.push(QualityPeriod {
            from_s: from,
            to_s: now,
            scores,
        });
        self.feeds.close_period();
        self.period_start = now;
    }
}
