//! A campaign: the seed corpus as it is, then mutants of it, each handed to the target under
//! `catch_unwind`, with a watchdog for inputs that never return. Mutants that make the parser
//! answer in a way not seen before (accepted, or a new kind of error) join the corpus, so
//! the loop works its way into the format without compiler instrumentation.

use crate::mutate::{Rng, mutate};
use crate::targets::Target;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

/// How a campaign runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Inputs to try, the corpus included.
    pub inputs: u64,
    pub seed: u64,
    /// Mutants are cut to this many bytes.
    pub max_len: usize,
    /// An input still running after this long is a hang: it is saved and the process ends.
    pub hang_after: Duration,
    /// Where panicking and hanging inputs are saved (`<dir>/<target>/…`).
    pub findings: PathBuf,
}

/// An input that made the parser panic.
#[derive(Clone, Debug)]
pub struct Panic {
    pub message: String,
    pub saved: PathBuf,
}

/// What a campaign did.
#[derive(Clone, Debug)]
pub struct Report {
    pub target: Target,
    pub inputs: u64,
    pub accepted: u64,
    pub refused: u64,
    /// Distinct answers (accepted, or an error with its numbers and names blanked).
    pub outcomes: usize,
    /// The corpus at the end: the seeds and the mutants that found a new answer.
    pub corpus: usize,
    pub panics: Vec<Panic>,
    pub seconds: f64,
    /// Stopped early (Ctrl-C).
    pub stopped: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: the seed corpus is empty")]
    EmptyCorpus(PathBuf),
}

/// The seed inputs of `target` under `corpus_dir` (`<corpus_dir>/<target>/*`, by name).
pub fn read_corpus(corpus_dir: &Path, target: Target) -> Result<Vec<Vec<u8>>, CampaignError> {
    let dir = corpus_dir.join(target.name());
    let io = |source| CampaignError::Io {
        path: dir.clone(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    files.sort();
    let seeds = files
        .iter()
        .filter(|f| f.is_file())
        .map(|f| {
            std::fs::read(f).map_err(|source| CampaignError::Io {
                path: f.clone(),
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if seeds.is_empty() {
        return Err(CampaignError::EmptyCorpus(dir));
    }
    Ok(seeds)
}

thread_local! {
    /// Set while this thread runs a fuzz input: its panics are findings, not test failures.
    static CAUGHT: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
}

/// Panics on a fuzzing thread are recorded quietly; anywhere else the usual hook reports them.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let fuzzing = CAUGHT.with(|c| {
                let mut c = c.borrow_mut();
                match c.as_mut() {
                    Some(slot) => {
                        *slot = Some(info.to_string());
                        true
                    }
                    None => false,
                }
            });
            if !fuzzing {
                previous(info);
            }
        }));
    });
}

/// The input now running and since when (ms after the campaign's start, 0 when idle).
#[derive(Debug, Default)]
struct Running {
    since_ms: AtomicU64,
    input: Mutex<Vec<u8>>,
}

/// Watches for an input that runs too long: saves it and ends the process (a hung parser
/// cannot be stopped from outside its thread).
fn watchdog(target: Target, running: Arc<Running>, options: &Options, start: Instant) {
    let (limit, dir) = (options.hang_after, options.findings.join(target.name()));
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let since = running.since_ms.load(Ordering::SeqCst);
            let now = start.elapsed().as_millis() as u64;
            if since == 0 || now.saturating_sub(since) < limit.as_millis() as u64 {
                continue;
            }
            let input = running
                .input
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            let saved = save(&dir, "hang", &input);
            eprintln!(
                "error: {}: an input ran over {:.0} s (a hang), saved to {}",
                target.name(),
                limit.as_secs_f64(),
                saved.display()
            );
            std::process::exit(3);
        }
    });
}

fn save(dir: &Path, kind: &str, input: &[u8]) -> PathBuf {
    let path = dir.join(format!("{kind}-{:08x}.bin", crc32fast::hash(input)));
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(&path, input);
    path
}

/// An answer with what varies between inputs blanked: the scratch path, what follows the
/// first quote or bracket (echoed values and headers), and any word holding a digit
/// (numbers, lines, checksums).
fn signature(outcome: &Result<(), String>, scratch: &Path) -> String {
    let Err(message) = outcome else {
        return "accepted".into();
    };
    let message = message.replace(&scratch.display().to_string(), "");
    let head = message
        .split(['`', '"', '(', '[', '{'])
        .next()
        .unwrap_or_default();
    let words: Vec<&str> = head
        .split_whitespace()
        .map(|w| {
            if w.contains(|c: char| c.is_ascii_digit()) {
                "#"
            } else {
                w
            }
        })
        .collect();
    words.join(" ")
}

/// Runs `target` on `corpus` and its mutants; `progress` hears the inputs done so far, `stop`
/// ends the campaign early.
/// Where inputs go through a file (readers take paths): in memory where the system has a
/// tmpfs.
fn scratch_dir(target: Target) -> Result<PathBuf, CampaignError> {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let scratch = base.join(format!(
        "citytwin-fuzz-{}-{}",
        std::process::id(),
        target.name()
    ));
    std::fs::create_dir_all(&scratch).map_err(|source| CampaignError::Io {
        path: scratch.clone(),
        source,
    })?;
    Ok(scratch)
}

impl Running {
    /// Runs one input where the watchdog sees it; its result, or the panic's message.
    fn watched<T>(
        &self,
        start: Instant,
        input: &[u8],
        run: impl FnOnce() -> T + std::panic::UnwindSafe,
    ) -> (std::thread::Result<T>, Option<String>) {
        let mut held = self.input.lock().unwrap_or_else(|p| p.into_inner());
        held.clear();
        held.extend_from_slice(input);
        drop(held);
        self.since_ms
            .store(start.elapsed().as_millis() as u64 + 1, Ordering::SeqCst);
        CAUGHT.with(|c| *c.borrow_mut() = Some(None));
        let result = std::panic::catch_unwind(run);
        let panicked = CAUGHT.with(|c| c.borrow_mut().take()).flatten();
        self.since_ms.store(0, Ordering::SeqCst);
        (result, panicked)
    }
}

pub fn run(
    target: Target,
    corpus: Vec<Vec<u8>>,
    options: &Options,
    progress: &dyn Fn(u64),
    stop: &AtomicBool,
) -> Result<Report, CampaignError> {
    install_panic_hook();
    let start = Instant::now();
    let scratch = scratch_dir(target)?;
    let running = Arc::new(Running::default());
    watchdog(target, Arc::clone(&running), options, start);
    let mut rng = Rng::new(options.seed);
    let mut corpus = corpus;
    let seeds = corpus.len() as u64;
    let mut seen = BTreeSet::new();
    let mut report = Report {
        target,
        inputs: 0,
        accepted: 0,
        refused: 0,
        outcomes: 0,
        corpus: 0,
        panics: Vec::new(),
        seconds: 0.0,
        stopped: false,
    };
    for i in 0..options.inputs {
        if stop.load(Ordering::SeqCst) {
            report.stopped = true;
            break;
        }
        let input = if i < seeds {
            corpus[i as usize].clone()
        } else {
            let base = &corpus[rng.below(corpus.len())];
            let other = &corpus[rng.below(corpus.len())];
            let mut mutant = mutate(&mut rng, base, other, target.dictionary(), options.max_len);
            if rng.below(2) == 0 {
                target.reseal(&mut mutant);
            }
            mutant
        };
        let (result, panicked) = running.watched(start, &input, || target.run(&input, &scratch));
        report.inputs += 1;
        match result {
            Ok(outcome) => {
                if outcome.is_ok() {
                    report.accepted += 1;
                } else {
                    report.refused += 1;
                }
                if seen.insert(signature(&outcome, &scratch)) && i >= seeds && corpus.len() < 4096 {
                    corpus.push(input);
                }
            }
            Err(_) => {
                let saved = save(&options.findings.join(target.name()), "panic", &input);
                report.panics.push(Panic {
                    message: panicked.unwrap_or_else(|| "a panic without a message".into()),
                    saved,
                });
            }
        }
        if i % 1024 == 0 {
            progress(report.inputs);
        }
    }
    progress(report.inputs);
    let _ = std::fs::remove_dir_all(&scratch);
    report.outcomes = seen.len();
    report.corpus = corpus.len();
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short run CI does: every parser, its corpus and a few thousand mutants, no panic.
    /// (`citytwin-fuzz` runs the million-input campaigns; docs/reliability.md has their counts.)
    #[test]
    fn every_parser_survives_its_corpus_and_mutants_of_it() {
        let findings =
            std::env::temp_dir().join(format!("citytwin-fuzz-ci-{}", std::process::id()));
        let options = Options {
            inputs: 3_000,
            seed: 1,
            max_len: 65_536,
            hang_after: Duration::from_secs(60),
            findings: findings.clone(),
        };
        let stop = AtomicBool::new(false);
        let scratch = findings.join("seeds");
        std::fs::create_dir_all(&scratch).unwrap();
        for target in Target::ALL {
            // the seeds are real files of the format, accepted as they are; `regress_` seeds
            // are inputs that once broke a parser, kept to be refused cleanly
            for entry in std::fs::read_dir(crate::corpus_dir().join(target.name())).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let answer = target.run(&std::fs::read(&path).unwrap(), &scratch);
                assert_eq!(
                    answer.is_ok(),
                    !name.starts_with("regress_"),
                    "{name}: {answer:?}"
                );
            }
            let seeds = read_corpus(&crate::corpus_dir(), target).unwrap();
            let report = run(target, seeds, &options, &|_| {}, &stop).unwrap();
            assert_eq!(report.inputs, 3_000, "{target:?}");
            assert!(report.panics.is_empty(), "{target:?}: {:?}", report.panics);
            // the mutants reach more than one way of being wrong
            assert!(report.outcomes > 3, "{target:?}: {report:?}");
        }
        let _ = std::fs::remove_dir_all(findings);
    }

    #[test]
    fn answers_are_grouped_by_kind_not_by_their_numbers_or_names() {
        let scratch = Path::new("/tmp/x");
        let sig = |m: &str| signature(&Err(m.into()), scratch);
        assert_eq!(
            sig("/tmp/x/trips.csv:12: depart: `25:00` out of range"),
            sig("/tmp/x/trips.csv:3: depart: `7h` out of range")
        );
        assert_ne!(sig("a.csv:1: depart"), sig("a.csv:1: from"));
        assert_eq!(signature(&Ok(()), scratch), "accepted");
    }
}
