//! Ctrl-C asks long jobs to stop at their next checkpoint, so they can write what they have.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

static INSTALL: Once = Once::new();

/// Routes Ctrl-C to [`requested`]; a second Ctrl-C exits at once. Installs once per process
/// (a sweep runs many jobs).
pub fn install() {
    INSTALL.call_once(install_handler);
}

fn install_handler() {
    let result = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!(
            "\ninterrupted: finishing the current step and writing what was computed (Ctrl-C again to quit now)"
        );
    });
    if let Err(e) = result {
        tracing::warn!("Ctrl-C will not stop cleanly: {e}");
    }
}

pub fn requested() -> bool {
    STOP.load(Ordering::SeqCst)
}
