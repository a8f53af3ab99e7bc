//! Edits of a fence plan that can be undone exactly: take a fence out and put it back at the
//! same place, change its capacity or its area. Scenarios are built from these.

use crate::fence::{Fence, FenceError, Fences};
use crate::osm_fences::{FencePlan, FenceSite};
use citytwin_city::FenceId;
use geo::Polygon;

/// A fence with what the plan keeps beside it, as `FencePlan::remove` hands it back.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedFence {
    pub fence: Fence,
    pub site: FenceSite,
    /// Where the fence came from (an OSM feature, or the scenario that added it).
    pub source: String,
    /// Its place in the list of monitored fences, if it has a monitoring point.
    pub monitored_rank: Option<usize>,
}

impl FencePlan {
    /// The fence called `name`, or `#N` for the N-th fence.
    pub fn find(&self, name: &str) -> Option<FenceId> {
        if let Some(n) = name.strip_prefix('#').and_then(|n| n.parse::<usize>().ok()) {
            return (n < self.fences.len()).then(|| FenceId::from_index(n));
        }
        self.fences.iter().find(|f| f.name == name).map(|f| f.id)
    }

    /// Puts a fence in at `index` (fences from there on move up by one).
    pub fn insert(&mut self, index: usize, planned: PlannedFence) -> Result<(), FenceError> {
        let index = index.min(self.fences.len());
        let mut fences: Vec<Fence> = self.fences.iter().cloned().collect();
        fences.insert(index, planned.fence);
        self.fences = Fences::new(fences)?;
        self.sites.insert(index, planned.site);
        self.sources.insert(index, planned.source);
        for m in &mut self.monitored {
            if m.index() >= index {
                *m = FenceId::from_index(m.index() + 1);
            }
        }
        if let Some(rank) = planned.monitored_rank {
            let rank = rank.min(self.monitored.len());
            self.monitored.insert(rank, FenceId::from_index(index));
        }
        Ok(())
    }

    /// The fence at `index` with what the plan keeps beside it (what `remove` hands back).
    pub fn planned(&self, index: usize) -> Option<PlannedFence> {
        Some(PlannedFence {
            fence: self.fences.get(FenceId::from_index(index))?.clone(),
            site: *self.sites.get(index)?,
            source: self.sources.get(index)?.clone(),
            monitored_rank: self.monitored.iter().position(|m| m.index() == index),
        })
    }

    /// Takes the fence at `index` out (fences after it move down by one).
    pub fn remove(&mut self, index: usize) -> Result<PlannedFence, FenceError> {
        let planned = self.planned(index).ok_or_else(|| FenceError::Invalid {
            name: format!("#{index}"),
            reason: format!("no such fence (the plan has {})", self.fences.len()),
        })?;
        let mut fences: Vec<Fence> = self.fences.iter().cloned().collect();
        fences.remove(index);
        self.fences = Fences::new(fences)?;
        if let Some(rank) = planned.monitored_rank {
            self.monitored.remove(rank);
        }
        for m in &mut self.monitored {
            if m.index() > index {
                *m = FenceId::from_index(m.index() - 1);
            }
        }
        self.sites.remove(index);
        self.sources.remove(index);
        Ok(planned)
    }

    /// Sets a fence's capacity; returns the one it had.
    pub fn set_capacity(&mut self, id: FenceId, capacity: u32) -> Result<u32, FenceError> {
        let mut fences: Vec<Fence> = self.fences.iter().cloned().collect();
        let old = std::mem::replace(&mut fences[id.index()].capacity, capacity);
        self.fences = Fences::new(fences)?;
        Ok(old)
    }

    /// Sets a fence's area (moves or reshapes it); returns the one it had.
    pub fn set_area(
        &mut self,
        id: FenceId,
        area: Polygon<f64>,
    ) -> Result<Polygon<f64>, FenceError> {
        let mut fences: Vec<Fence> = self.fences.iter().cloned().collect();
        let old = std::mem::replace(&mut fences[id.index()].area, area);
        self.fences = Fences::new(fences)?;
        Ok(old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osm_fences::strip;
    use geo::Coord;

    fn plan() -> FencePlan {
        let fence = |i: usize| Fence {
            id: FenceId(0),
            name: format!("f{i}"),
            area: strip(
                Coord {
                    x: i as f64 * 100.0,
                    y: 0.0,
                },
                Coord { x: 1.0, y: 0.0 },
                (20.0, 4.0),
            ),
            capacity: 10 + i as u32,
            dock: false,
        };
        FencePlan {
            fences: Fences::new((0..4).map(fence).collect()).expect("valid"),
            sites: vec![
                FenceSite::SubwayEntrance,
                FenceSite::BusStop,
                FenceSite::School,
                FenceSite::Shopping,
            ],
            sources: (0..4).map(|i| format!("node/{i}")).collect(),
            monitored: vec![FenceId(2), FenceId(0)],
        }
    }

    #[test]
    fn removing_and_putting_back_restores_the_plan() {
        let original = plan();
        for index in 0..4 {
            let mut p = original.clone();
            let taken = p.remove(index).expect("valid");
            assert_eq!(p.fences.len(), 3);
            assert!(p.monitored.iter().all(|m| m.index() < 3));
            p.insert(index, taken).expect("valid");
            assert_eq!(p, original, "fence {index}");
        }
    }

    #[test]
    fn monitored_ids_follow_the_fences_they_watch() {
        let mut p = plan();
        p.remove(1).expect("valid");
        let names: Vec<&str> = p
            .monitored
            .iter()
            .map(|m| p.fences.get(*m).map_or("", |f| f.name.as_str()))
            .collect();
        assert_eq!(names, ["f2", "f0"]);
        assert_eq!(p.find("f3"), Some(FenceId(2)));
        assert_eq!(p.find("#2"), Some(FenceId(2)));
        assert_eq!(p.find("#9"), None);
    }

    #[test]
    fn capacity_and_area_changes_hand_back_the_old_values() {
        let mut p = plan();
        let old = p.set_capacity(FenceId(1), 99).expect("valid");
        assert_eq!(old, 11);
        assert_eq!(p.set_capacity(FenceId(1), old).expect("valid"), 99);
        let moved = strip(
            Coord { x: 5.0, y: 5.0 },
            Coord { x: 0.0, y: 1.0 },
            (10.0, 2.0),
        );
        let old_area = p.set_area(FenceId(3), moved).expect("valid");
        p.set_area(FenceId(3), old_area).expect("valid");
        assert_eq!(p, plan());
    }
}
