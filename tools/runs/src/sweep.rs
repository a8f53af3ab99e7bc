//! A sweep file and the jobs it stands for: every combination of the grid's values × seeds,
//! each one `citytwin run` command line (run here, or by an external executor from the job
//! manifest); and the merged results table of the finished runs.

use crate::compare::kpis;
use crate::error::{Result, RunError};
use crate::reports::{csv_text, write, write_table};
use crate::table::{Column, Table};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A parameter value as written in the sweep file: a number or a string.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(untagged)]
pub enum ParamValue {
    Int(i64),
    Real(f64),
    Text(String),
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Int(v) => write!(f, "{v}"),
            ParamValue::Real(v) => write!(f, "{v}"),
            ParamValue::Text(v) => f.write_str(v),
        }
    }
}

/// sweep.ron
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    pub name: String,
    /// The scene, relative to the sweep file.
    pub scene: PathBuf,
    /// A scenario for every run, relative to the sweep file.
    #[serde(default)]
    pub scenario: Option<PathBuf>,
    pub seeds: u64,
    #[serde(default = "first_seed")]
    pub first_seed: u64,
    /// Options of `citytwin run` given to every run, as on its command line.
    #[serde(default)]
    pub args: Vec<String>,
    /// Options of `citytwin run` (long names without the dashes) and the values to try.
    pub grid: BTreeMap<String, Vec<ParamValue>>,
    /// Keep every run's per-link files too (default: summary.json only).
    #[serde(default)]
    pub full_outputs: bool,
}

fn first_seed() -> u64 {
    1
}

/// One run of the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// "run-0001-" and the first 12 hex digits of the BLAKE3 hash of its arguments, scene
    /// and scenario file: the run's folder under runs/.
    pub id: String,
    pub seed: u64,
    /// (parameter, value) in the grid's order.
    pub params: Vec<(String, String)>,
    /// The arguments after `citytwin`.
    pub argv: Vec<String>,
    pub output: PathBuf,
}

/// The most runs one sweep may plan (each is a simulated day: a million would take months).
pub const MAX_JOBS: u64 = 100_000;

impl SweepFile {
    pub fn load(path: &Path) -> Result<SweepFile> {
        let mut sweep: SweepFile = citytwin_city::ron_file::read(path)?;
        let base = path.parent().unwrap_or(Path::new(""));
        sweep.scene = base.join(&sweep.scene);
        sweep.scenario = sweep.scenario.map(|s| base.join(s));
        if sweep.seeds == 0 {
            return Err(RunError::bad_input(path, "`seeds`: expected at least 1"));
        }
        if sweep.first_seed.checked_add(sweep.seeds).is_none() {
            return Err(RunError::bad_input(
                path,
                format!(
                    "`first_seed` {} + `seeds` {} is past the largest seed ({})",
                    sweep.first_seed,
                    sweep.seeds,
                    u64::MAX
                ),
            ));
        }
        let jobs = sweep
            .grid
            .values()
            .try_fold(sweep.seeds, |n, values| n.checked_mul(values.len() as u64));
        if jobs.is_none_or(|n| n > MAX_JOBS) {
            return Err(RunError::bad_input(
                path,
                format!("`seeds` × the grid's values make more than {MAX_JOBS} runs"),
            ));
        }
        for (name, values) in &sweep.grid {
            if values.is_empty() {
                return Err(RunError::bad_input(
                    path,
                    format!("grid `{name}` has no values"),
                ));
            }
            if name.starts_with('-') {
                return Err(RunError::bad_input(
                    path,
                    format!("grid `{name}`: write the option without its dashes"),
                ));
            }
        }
        Ok(sweep)
    }

    /// Every job: combinations in the grid's (alphabetical) order, the last parameter
    /// changing fastest, each with every seed.
    pub fn jobs(&self, output: &Path) -> Vec<Job> {
        let mut combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
        for (name, values) in &self.grid {
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    values.iter().map(move |v| {
                        let mut next = c.clone();
                        next.push((name.clone(), v.to_string()));
                        next
                    })
                })
                .collect();
        }
        // what a run reads besides its arguments: an edited scene or scenario is a new run
        let mut inputs = blake3::Hasher::new();
        for file in std::iter::once(&self.scene).chain(&self.scenario) {
            inputs.update(&std::fs::read(file).unwrap_or_default());
            inputs.update(&[0xff]);
        }
        let mut jobs = Vec::new();
        for params in combos {
            for seed in self.first_seed..self.first_seed + self.seeds {
                let label = format!("run-{:04}", jobs.len() + 1);
                let mut argv = vec![
                    "-q".to_string(),
                    "run".into(),
                    self.scene.display().to_string(),
                ];
                if let Some(s) = &self.scenario {
                    argv.extend(["--scenario".into(), s.display().to_string()]);
                }
                argv.extend(self.args.iter().cloned());
                for (name, value) in &params {
                    argv.extend([format!("--{name}"), value.clone()]);
                }
                argv.extend(["--seed".into(), seed.to_string()]);
                if !self.full_outputs {
                    argv.push("--summary-only".into());
                }
                let mut spec = inputs.clone();
                for arg in &argv {
                    spec.update(arg.as_bytes());
                    spec.update(&[0]);
                }
                let key = spec.finalize().to_hex();
                // the folder is keyed by the run's whole specification: a resumed sweep whose
                // file was edited re-runs what changed instead of relabelling old figures
                let id = format!("{label}-{}", &key[..12]);
                let dir = output.join("runs").join(&id);
                argv.extend(["-o".into(), dir.display().to_string()]);
                jobs.push(Job {
                    id,
                    seed,
                    params: params.clone(),
                    argv,
                    output: dir,
                });
            }
        }
        jobs
    }
}

impl Job {
    /// The job's command line for a shell: `citytwin` and its arguments, quoted.
    pub fn command_line(&self) -> String {
        std::iter::once("citytwin".to_string())
            .chain(self.argv.iter().map(|a| shell_quote(a)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The run's summary.json, if the run finished: the file exists and says the run was not
    /// interrupted.
    pub fn finished_summary(&self) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(self.output.join("summary.json")).ok()?;
        let summary: serde_json::Value = serde_json::from_str(&text).ok()?;
        (summary["run"]["interrupted"] == serde_json::Value::Bool(false)).then_some(summary)
    }

    pub fn is_done(&self) -> bool {
        self.finished_summary().is_some()
    }
}

fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=,+@%".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// jobs.txt (one command line per run, for `parallel`, a Slurm array or an Indexed Job) and
/// jobs.csv (each run's id, seed and parameters).
pub fn write_manifest(out: &Path, sweep: &SweepFile, jobs: &[Job]) -> Result<()> {
    let mut txt = String::new();
    for job in jobs {
        txt.push_str(&job.command_line());
        txt.push('\n');
    }
    let header = ["job", "seed"]
        .into_iter()
        .map(String::from)
        .chain(sweep.grid.keys().cloned())
        .collect();
    let rows = jobs.iter().map(|job| {
        [job.id.clone(), job.seed.to_string()]
            .into_iter()
            .chain(job.params.iter().map(|(_, value)| value.clone()))
            .collect()
    });
    let csv = csv_text(header, rows);
    write(&out.join("jobs.txt"), &txt)?;
    write(&out.join("jobs.csv"), &csv)
}

/// results.csv (and .parquet): one row per run (finished or not), its parameters, then every figure of the
/// finished runs' summary.json in name order. Returns (finished, not finished).
pub fn collect(
    out: &Path,
    sweep: &SweepFile,
    jobs: &[Job],
    parquet: bool,
) -> Result<(usize, usize)> {
    let figures: Vec<Option<BTreeMap<String, f64>>> = jobs
        .iter()
        .map(|j| j.finished_summary().map(|s| kpis(&s)))
        .collect();
    let names: BTreeSet<&String> = figures.iter().flatten().flat_map(|f| f.keys()).collect();
    let mut columns = vec![
        Column::text("job", jobs.iter().map(|j| j.id.clone()).collect()),
        Column::int("seed", jobs.iter().map(|j| j.seed as i64).collect()),
    ];
    for (k, name) in sweep.grid.keys().enumerate() {
        let values = jobs.iter().map(|j| j.params[k].1.clone()).collect();
        columns.push(Column::text(name, values));
    }
    let status = figures
        .iter()
        .map(|f| if f.is_some() { "done" } else { "missing" }.to_string())
        .collect();
    columns.push(Column::text("status", status));
    for name in &names {
        let values = figures
            .iter()
            .map(|f| f.as_ref().and_then(|f| f.get(*name)).copied())
            .collect();
        columns.push(Column::maybe_float(name, values));
    }
    let table = Table::new("results", columns)?;
    write_table(out, &table, parquet)?;
    let done = figures.iter().filter(|f| f.is_some()).count();
    Ok((done, jobs.len() - done))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep() -> SweepFile {
        SweepFile {
            name: "t".into(),
            scene: "scene.ron".into(),
            scenario: None,
            seeds: 2,
            first_seed: 5,
            args: vec!["--from".into(), "07:00".into()],
            grid: [
                (
                    "crews".to_string(),
                    vec![ParamValue::Int(2), ParamValue::Int(4)],
                ),
                ("reroute-share".to_string(), vec![ParamValue::Real(0.25)]),
            ]
            .into_iter()
            .collect(),
            full_outputs: false,
        }
    }

    #[test]
    fn every_combination_runs_with_every_seed() {
        let jobs = sweep().jobs(Path::new("out"));
        assert_eq!(jobs.len(), 4);
        assert!(jobs[0].id.starts_with("run-0001-"), "{}", jobs[0].id);
        assert_eq!(jobs[0].id.len(), "run-0001-".len() + 12);
        assert_eq!(jobs[1].seed, 6);
        assert_eq!(
            jobs[2].params,
            [
                ("crews".to_string(), "4".to_string()),
                ("reroute-share".to_string(), "0.25".to_string())
            ]
        );
        assert_eq!(
            jobs[3].command_line(),
            format!(
                "citytwin -q run scene.ron --from 07:00 --crews 4 --reroute-share 0.25 --seed 6 --summary-only -o out/runs/{}",
                jobs[3].id
            )
        );
    }

    #[test]
    fn an_edited_job_gets_a_new_folder_the_others_keep_theirs() {
        let before = sweep().jobs(Path::new("out"));
        let mut edited = sweep();
        edited.grid.insert(
            "crews".to_string(),
            vec![ParamValue::Int(2), ParamValue::Int(5)],
        );
        let after = edited.jobs(Path::new("out"));
        assert_eq!(before[..2], after[..2], "crews 2: the same runs");
        assert_ne!(before[2].id, after[2].id, "crews 4 → 5: a new run");
        assert!(after[2].id.starts_with("run-0003-"));
    }

    #[test]
    fn odd_arguments_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("人民北路"), "'人民北路'");
        assert_eq!(shell_quote("07:00"), "07:00");
    }
}
