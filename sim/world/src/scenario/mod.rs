//! What-if scenarios as data: a RON file naming its base scene and a list of edits. Each edit
//! is checked against the city and becomes changes holding old and new values, applied to the
//! inputs a World is built from and undone in reverse order.
//!
//! ```
//! use citytwin_sim::scenario::{Edit, RoadRef, Scenario};
//! let text = r#"(
//!     name: "Renmin North Road closed",
//!     base: "../scene.ron",
//!     edits: [CloseRoad(road: Name("人民北路"), from: "07:00", to: "10:00")],
//! )"#;
//! let scenario = Scenario::from_ron(text).unwrap();
//! assert!(matches!(&scenario.edits[0], Edit::CloseRoad { road: RoadRef::Name(n), .. } if n == "人民北路"));
//! assert_eq!(Scenario::from_ron(&scenario.to_ron().unwrap()).unwrap(), scenario);
//! ```

mod change;
mod edit;
mod inputs;
mod live;
mod resolve;

pub use change::{Change, RoadAttrs};
pub use edit::{Clock, Edit, FenceSelector, RoadRef};
pub use inputs::{BikeInputs, DemandScale, RunInputs};
pub use live::{LiveEditError, LiveEditor};
pub use resolve::Project;

use citytwin_city::City;
use citytwin_city::ron_file::{self, RonFileError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The scene this scenario edits, relative to the scenario file.
    pub base: PathBuf,
    pub edits: Vec<Edit>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error(transparent)]
    File(#[from] RonFileError),
    #[error("{path}: edit {number} ({kind}): {message}")]
    Edit {
        path: PathBuf,
        /// 1 for the first edit of the file.
        number: usize,
        kind: &'static str,
        message: String,
    },
}

impl Scenario {
    /// Reads a scenario file; its `base` becomes a path from the current directory.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let mut scenario: Scenario = ron_file::read(path)?;
        scenario.base = path.parent().unwrap_or(Path::new("")).join(&scenario.base);
        Ok(scenario)
    }

    pub fn from_ron(text: &str) -> Result<Scenario, ron::error::SpannedError> {
        ron_file::from_str(text)
    }

    pub fn to_ron(&self) -> Result<String, ron::Error> {
        ron_file::to_string(self)
    }

    /// Checks each edit against the city and the inputs as the edits before it left them, and
    /// applies it. On error nothing stays applied. `project` turns (lon, lat) into the city's
    /// CRS, for edits that give positions. `path` names the file in errors.
    pub fn apply(
        &self,
        path: &Path,
        city: &City,
        project: Project,
        inputs: &mut RunInputs,
    ) -> Result<Vec<Change>, ScenarioError> {
        let mut applied: Vec<Change> = Vec::new();
        for (i, edit) in self.edits.iter().enumerate() {
            let failed = |message: String| ScenarioError::Edit {
                path: path.to_path_buf(),
                number: i + 1,
                kind: edit.kind(),
                message,
            };
            let outcome = resolve::resolve(edit, city, project, inputs).and_then(|changes| {
                for (n, c) in changes.iter().enumerate() {
                    if let Err(e) = c.apply(inputs) {
                        undo(&changes[..n], inputs);
                        return Err(e.to_string());
                    }
                }
                Ok(changes)
            });
            match outcome {
                Ok(changes) => applied.extend(changes),
                Err(message) => {
                    undo(&applied, inputs);
                    return Err(failed(message));
                }
            }
        }
        Ok(applied)
    }
}

/// Undoes applied changes, last first.
pub fn undo(changes: &[Change], inputs: &mut RunInputs) {
    for c in changes.iter().rev() {
        // undoing a change that applied puts back a state that was valid
        let _ = c.undo(inputs);
    }
}
