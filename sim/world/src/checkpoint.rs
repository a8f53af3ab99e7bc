//! Checkpoints: the whole state of a World (traffic, bikes, operations, random streams, clock,
//! pending events) in a versioned file, so that a run can stop and go on later — exactly as if
//! it had not stopped.
//!
//! A checkpoint is tied to this build's format and to the World it was taken from: loading it
//! needs the fingerprint of a World built the same way (same network, trips and options), so a
//! state from another scene or other options is refused, not run on the wrong city.

use crate::World;
use std::io::Write as _;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"CTSTATE\0";
/// Version of the checkpoint format; a state written by another one is refused. 4: the
/// landmark router's frontier holds one integer per entry. 5: a routing shortcut names the
/// edge of its lower triangle, not the middle node.
pub const CHECKPOINT_VERSION: u32 = 6;
/// Magic, version, fingerprint (32 bytes), CRC-32 of the state.
const HEADER_LEN: usize = 8 + 4 + 32 + 4;

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a citytwin checkpoint")]
    NotACheckpoint { path: PathBuf },
    #[error(
        "{path}: a checkpoint of format {found}, this build reads format {expected}: run the day again"
    )]
    Version {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error(
        "{path}: taken from another World (another scene, scenario, seed, window or demand): resume with the options of the run that wrote it"
    )]
    OtherWorld { path: PathBuf },
    #[error("{path}: corrupt or truncated checkpoint: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

impl World {
    /// What identifies a World's make-up: its options (seed, window, model settings, events),
    /// the day's trips and the network's size. Two Worlds built the same way have the same
    /// fingerprint, and running does not change it.
    pub fn fingerprint(&self) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        let options = postcard::to_allocvec(&self.options).unwrap_or_default();
        hasher.update(&options);
        // the day's own trips: crews' trucks join as trips while the World runs
        for trip in self
            .traffic
            .trips()
            .iter()
            .filter(|t| t.purpose != citytwin_traffic::dynamic::Purpose::Service)
        {
            hasher.update(&postcard::to_allocvec(trip).unwrap_or_default());
        }
        hasher.update(&(self.traffic.net.links.len() as u64).to_le_bytes());
        hasher.update(&[u8::from(self.bikes.is_some()), u8::from(self.ops.is_some())]);
        *hasher.finalize().as_bytes()
    }

    /// The key a checkpoint is stored under: the World's [`fingerprint`](World::fingerprint)
    /// and the caller's own account of how it built the World (`recipe`: its settings for
    /// bikes, operations and demand, which the World does not keep in one place).
    pub fn checkpoint_key(&self, recipe: &[u8]) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&self.fingerprint());
        hasher.update(recipe);
        *hasher.finalize().as_bytes()
    }

    /// Writes the whole state to `path` (beside it first, then renamed into place), under
    /// [`checkpoint_key`](World::checkpoint_key)`(recipe)`.
    pub fn save_checkpoint(&self, path: &Path, recipe: &[u8]) -> Result<(), CheckpointError> {
        let io = |source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        };
        let state = postcard::to_allocvec(self).map_err(|e| CheckpointError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let mut bytes = Vec::with_capacity(HEADER_LEN + state.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&CHECKPOINT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&self.checkpoint_key(recipe));
        bytes.extend_from_slice(&crc32fast::hash(&state).to_le_bytes());
        bytes.extend_from_slice(&state);
        let tmp = path.with_extension("partial");
        let mut file = std::fs::File::create(&tmp).map_err(io)?;
        file.write_all(&bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Reads a checkpoint stored under `expected`: the
    /// [`checkpoint_key`](World::checkpoint_key) of a World built as the one that saved it.
    pub fn load_checkpoint(path: &Path, expected: &[u8; 32]) -> Result<World, CheckpointError> {
        let p = || path.to_path_buf();
        let bytes =
            std::fs::read(path).map_err(|source| CheckpointError::Io { path: p(), source })?;
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(CheckpointError::NotACheckpoint { path: p() });
        }
        let found = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if found != CHECKPOINT_VERSION {
            return Err(CheckpointError::Version {
                path: p(),
                found,
                expected: CHECKPOINT_VERSION,
            });
        }
        let corrupt = |reason: String| CheckpointError::Corrupt { path: p(), reason };
        if bytes.len() < HEADER_LEN {
            return Err(corrupt("cut short inside its header".into()));
        }
        if &bytes[12..44] != expected {
            return Err(CheckpointError::OtherWorld { path: p() });
        }
        let stored = u32::from_le_bytes(bytes[44..48].try_into().expect("4 bytes"));
        let state = &bytes[HEADER_LEN..];
        if crc32fast::hash(state) != stored {
            return Err(corrupt("its checksum does not match its contents".into()));
        }
        postcard::from_bytes(state).map_err(|e| corrupt(e.to_string()))
    }
}
