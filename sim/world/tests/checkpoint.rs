//! A World saved to a checkpoint and loaded back runs on exactly as the original; a checkpoint
//! from another World, another format or a damaged file is refused.

#![allow(clippy::unwrap_used)]

mod common;

use citytwin_sim::World;
use citytwin_sim::checkpoint::CheckpointError;
use citytwin_sim::forecast::LinkSnapshot;
use common::morning;

#[test]
fn a_loaded_checkpoint_runs_on_as_the_world_it_was_taken_from() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let path = dir.join("state.ctstate");
    let mut world = morning(1);
    world.advance_to(7 * 3600 + 600);
    world.save_checkpoint(&path, b"test").unwrap();
    let mut resumed = World::load_checkpoint(&path, &morning(1).checkpoint_key(b"test")).unwrap();
    assert_eq!(resumed.now_s(), world.now_s());
    world.advance_to(8 * 3600);
    resumed.advance_to(8 * 3600);
    assert_eq!(LinkSnapshot::of(&resumed), LinkSnapshot::of(&world));
    assert_eq!(
        format!("{:?}", resumed.traffic().summary()),
        format!("{:?}", world.traffic().summary())
    );

    // another seed is another World
    let err = World::load_checkpoint(&path, &morning(2).checkpoint_key(b"test")).unwrap_err();
    assert!(matches!(err, CheckpointError::OtherWorld { .. }), "{err}");
    // so is one built with other settings the caller knows of
    let err = World::load_checkpoint(&path, &morning(1).checkpoint_key(b"other")).unwrap_err();
    assert!(matches!(err, CheckpointError::OtherWorld { .. }), "{err}");
    // a damaged file
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let err = World::load_checkpoint(&path, &morning(1).checkpoint_key(b"test")).unwrap_err();
    assert!(err.to_string().contains("checksum"), "{err}");
    // another format
    bytes[8] = 99;
    std::fs::write(&path, &bytes).unwrap();
    let err = World::load_checkpoint(&path, &morning(1).checkpoint_key(b"test")).unwrap_err();
    assert!(
        matches!(err, CheckpointError::Version { found: 99, .. }),
        "{err}"
    );
}
