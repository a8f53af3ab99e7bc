//! Edits to a running World: what a planner decides during the day (close a road now, an
//! incident for 40 minutes) arrives as the same `Edit` a scenario file holds, is checked the
//! same way, and becomes link events from the next simulated second. Edits that change what
//! the day is built from (demand, fences, the fleet, road attributes) need a new run.

use super::{Change, Edit, Project, RunInputs, Scenario, ScenarioError};
use crate::World;
use citytwin_city::City;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum LiveEditError {
    #[error("{0} edits change what the day is built from; run them as a scenario (--scenario)")]
    NotLive(&'static str),
    /// The edit does not fit the city or the day (an unknown road, a time outside the window…).
    #[error(transparent)]
    Invalid(#[from] ScenarioError),
}

/// The run's inputs as edits so far left them, so that each edit is checked against the
/// ones before it (a re-opening needs an earlier closure).
#[derive(Clone, Debug)]
pub struct LiveEditor {
    inputs: RunInputs,
}

impl LiveEditor {
    pub fn new(inputs: RunInputs) -> LiveEditor {
        LiveEditor { inputs }
    }

    /// Applies `edit` to `world` from now on; returns the number of link events scheduled.
    /// `source` names where the edit came from, in errors.
    pub fn apply(
        &mut self,
        edit: Edit,
        source: &Path,
        city: &City,
        project: Project,
        world: &mut World,
    ) -> Result<usize, LiveEditError> {
        if !matches!(
            edit,
            Edit::CloseRoad { .. } | Edit::ReopenRoad { .. } | Edit::Incident { .. }
        ) {
            return Err(LiveEditError::NotLive(edit.kind()));
        }
        let one = Scenario {
            name: String::new(),
            description: String::new(),
            base: Default::default(),
            edits: vec![edit],
        };
        let changes = one
            .apply(source, city, project, &mut self.inputs)
            .map_err(LiveEditError::Invalid)?;
        let mut scheduled = 0;
        for change in changes {
            if let Change::Event(event) = change {
                world.traffic.schedule(event);
                scheduled += 1;
            }
        }
        Ok(scheduled)
    }
}
