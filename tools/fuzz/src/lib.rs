//! Fuzzing every parser of user input on stable Rust: a seeded mutation loop per parser
//! (`targets`), with its seed corpus in `tools/fuzz/corpus/<target>/`. `citytwin-fuzz`
//! runs long campaigns; the tests run a short one of every target in CI. Counts are in
//! docs/reliability.md.

pub mod campaign;
pub mod mutate;
pub mod targets;

pub use campaign::{CampaignError, Options, Report};
pub use targets::Target;

/// The seed corpus shipped with the crate.
pub fn corpus_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}
