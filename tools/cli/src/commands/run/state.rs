//! A run's saved state: `--checkpoint-at`/`--checkpoint-out` to stop and save, `--resume` to
//! go on, and the state.ctstate a run stopped by Ctrl-C leaves beside its outputs.

use crate::day_args::parse_clock;
use anyhow::Result;
use citytwin_runs::{DayOptions, Setting, clock};
use citytwin_sim::World;
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args, Clone)]
pub struct StateArgs {
    /// Save the whole state of the simulation to FILE when the run stops (at the end of its
    /// window, at --checkpoint-at, or on Ctrl-C), for --resume. A run stopped by Ctrl-C
    /// always saves it as state.ctstate in its output folder. For a single simulated day:
    /// not with --iterations or --live
    #[arg(long, value_name = "FILE", conflicts_with_all = ["iterations", "live"])]
    pub checkpoint_out: Option<PathBuf>,
    /// Stop at this time of day (HH:MM, inside the window) and save the state there
    /// (needs --checkpoint-out)
    #[arg(long, value_parser = parse_clock, requires = "checkpoint_out")]
    pub checkpoint_at: Option<u32>,
    /// Go on from a saved state: the run is built from the same scene and options as the
    /// one that saved it (a state from another scene or other options is refused), then runs
    /// on from where that one stopped; its outputs are those of the run had it not stopped
    #[arg(long, value_name = "FILE", conflicts_with_all = ["iterations", "live"])]
    pub resume: Option<PathBuf>,
}

impl StateArgs {
    pub fn check(&self, day: &DayOptions) -> Result<()> {
        if let Some(at) = self.checkpoint_at {
            day.check_in_window(Setting::StopAt, at, day.from_s + 1..day.to_s)?;
        }
        Ok(())
    }

    /// Whether the run stops now to save its state.
    pub fn stops_at(&self, now_s: u32) -> bool {
        self.checkpoint_at.is_some_and(|at| now_s >= at)
    }

    /// With `--resume`, replaces the freshly built `world` by the saved one.
    pub fn resume(&self, world: &mut World, recipe: &[u8]) -> Result<()> {
        if let Some(path) = &self.resume {
            *world = World::load_checkpoint(path, &world.checkpoint_key(recipe))?;
        }
        Ok(())
    }

    /// Saves the state where the run stopped: to `--checkpoint-out`, or, for a run stopped
    /// by Ctrl-C, as state.ctstate in the (staged) output folder `output` (`shown` is where it
    /// will be once the folder is in place).
    pub fn save(
        &self,
        world: &World,
        recipe: &[u8],
        interrupted: bool,
        output: &Path,
        shown: &Path,
        quiet: bool,
    ) -> Result<()> {
        let (path, shown) = match &self.checkpoint_out {
            Some(path) => (path.clone(), path.as_path()),
            None if interrupted => (output.join("state.ctstate"), shown),
            None => return Ok(()),
        };
        world.save_checkpoint(&path, recipe)?;
        if !quiet {
            eprintln!(
                "state at {} saved to {} (citytwin run … --resume)",
                clock(world.now_s()),
                shown.display()
            );
        }
        Ok(())
    }
}
