//! A run's output folder, written whole or not at all: the run writes into a fresh hidden
//! folder beside the target and moves it into place when it ends (completed, interrupted or
//! failed after its reports), replacing an earlier run's folder as a whole. A folder never
//! holds files of two runs (an earlier run's Parquet or GBFS beside fresh CSVs), and a run
//! killed outright leaves the earlier outputs as they were, plus a `.NAME.partial-PID` folder
//! with what it had written.

use crate::error::{Result, RunError};
use std::path::{Path, PathBuf};

/// What marks a folder as a citytwin run's, which a new run may replace without `--force`.
const RUN_MARK: &str = "summary.json";

#[derive(Debug)]
pub struct StagedOutput {
    target: PathBuf,
    staging: PathBuf,
}

impl StagedOutput {
    /// Prepares to write `target`. A target that exists, is not empty and holds no earlier
    /// run (no summary.json) is refused unless `force`: it may be a folder of the user's own.
    pub fn new(target: &Path, force: bool) -> Result<StagedOutput> {
        if target.is_file() {
            return Err(RunError::OutputIsFile(target.to_path_buf()));
        }
        let holds_other_files = std::fs::read_dir(target)
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(false);
        if holds_other_files && !target.join(RUN_MARK).is_file() && !force {
            return Err(RunError::OutputNotEmpty(target.to_path_buf()));
        }
        let name = target
            .file_name()
            .ok_or_else(|| RunError::OutputIsFile(target.to_path_buf()))?
            .to_string_lossy()
            .into_owned();
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(RunError::io("creating", parent))?;
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(RunError::io("clearing", &staging))?;
        }
        std::fs::create_dir(&staging).map_err(RunError::io("creating", &staging))?;
        Ok(StagedOutput {
            target: target.to_path_buf(),
            staging,
        })
    }

    /// Where the run writes until [`StagedOutput::commit`].
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Moves the written folder into place, replacing the target's earlier contents.
    pub fn commit(self) -> Result<()> {
        let old = self.staging.with_file_name(format!(
            "{}.old",
            self.staging
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
        ));
        let had_target = self.target.exists();
        if had_target {
            std::fs::rename(&self.target, &old)
                .map_err(RunError::io("moving aside the earlier", &self.target))?;
        }
        std::fs::rename(&self.staging, &self.target).map_err(RunError::io(
            "moving the new outputs into place as",
            &self.target,
        ))?;
        if had_target {
            std::fs::remove_dir_all(&old)
                .map_err(RunError::io("removing the earlier outputs", &old))?;
        }
        Ok(())
    }

    /// Gives up before anything worth keeping was written.
    pub fn discard(self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("citytwin-outdir-{name}-"))
            .tempdir()
            .unwrap()
    }

    #[test]
    fn a_new_run_replaces_the_earlier_one_whole() {
        let scratch = scratch("replace");
        let dir = scratch.path();
        let out = dir.join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join(RUN_MARK), "{}").unwrap();
        std::fs::write(out.join("link_bins.parquet"), "old").unwrap();
        let staged = StagedOutput::new(&out, false).unwrap();
        std::fs::write(staged.path().join(RUN_MARK), "{\"new\":1}").unwrap();
        assert!(
            out.join("link_bins.parquet").exists(),
            "untouched until commit"
        );
        staged.commit().unwrap();
        assert!(
            !out.join("link_bins.parquet").exists(),
            "no stale file survives"
        );
        assert_eq!(
            std::fs::read_to_string(out.join(RUN_MARK)).unwrap(),
            "{\"new\":1}"
        );
        let left: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
        assert_eq!(left.len(), 1, "no staging folder left behind");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_folder_of_other_files_is_refused_without_force() {
        let scratch = scratch("refuse");
        let dir = scratch.path();
        std::fs::write(dir.join("thesis.tex"), "mine").unwrap();
        let e = StagedOutput::new(dir, false).err().unwrap().to_string();
        assert!(
            e.contains("not empty and not an earlier run's outputs"),
            "{e}"
        );
        let staged = StagedOutput::new(dir, true).unwrap();
        staged.discard();
        assert!(
            dir.join("thesis.tex").exists(),
            "discarding touches nothing"
        );
        let file = dir.join("thesis.tex");
        let e = StagedOutput::new(&file, false).err().unwrap().to_string();
        assert!(e.contains("a file, not a folder"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
