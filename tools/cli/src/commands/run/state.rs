//! A run's saved state: `--checkpoint-at`/`--checkpoint-out` to stop and save, `--resume` to
//! go on, and the state.ctstate a run stopped by Ctrl-C leaves beside its outputs.

use crate::day_args::parse_clock;
use citytwin_runs::StateOptions;
use clap::Args;
use std::path::PathBuf;

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
    pub fn options(&self) -> StateOptions {
        StateOptions {
            save_to: self.checkpoint_out.clone(),
            stop_at_s: self.checkpoint_at,
            resume_from: self.resume.clone(),
        }
    }
}
