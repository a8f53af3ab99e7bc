//! The graphics stack (Mesa, the Vulkan loader) expects `XDG_RUNTIME_DIR` and prints
//! "error: XDG_RUNTIME_DIR is invalid" on servers and in containers without a login session;
//! a private one, made for the viewer's run, keeps a successful snapshot from looking like a
//! failure.

use std::path::PathBuf;

/// The private runtime folder made for this process, removed when dropped; empty when the
/// environment already names one.
#[derive(Debug)]
pub struct RuntimeDir(Option<PathBuf>);

impl RuntimeDir {
    /// Sets `XDG_RUNTIME_DIR` to a fresh private folder unless it is set.
    ///
    /// # Safety
    /// Changes the process environment: call it before any other thread exists.
    pub unsafe fn ensure() -> RuntimeDir {
        if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
            return RuntimeDir(None);
        }
        let dir = std::env::temp_dir().join(format!("citytwin-runtime-{}", std::process::id()));
        let made = std::fs::create_dir_all(&dir).and_then(|()| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        });
        if made.is_err() {
            return RuntimeDir(None);
        }
        // SAFETY: the caller guarantees no other thread exists
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
        RuntimeDir(Some(dir))
    }
}

impl Drop for RuntimeDir {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
