//! What this machine can hold, so work that would not fit is refused before it starts
//! instead of being killed by the kernel hours later.

/// Bytes the kernel says can be allocated without swapping (`MemAvailable` in /proc/meminfo);
/// `None` where that is not known (not Linux, or an unreadable file): then nothing is refused
/// on memory grounds.
pub fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    mem_available(&text)
}

fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// `Err(message)` when `items × bytes_each` exceeds what is available now.
pub fn check_fits(what: &str, items: u64, bytes_each: u64) -> Result<(), String> {
    let Some(available) = available_bytes() else {
        return Ok(());
    };
    let need = items.saturating_mul(bytes_each);
    if need > available {
        return Err(format!(
            "{what}: {items} would need about {} MiB, more than the {} MiB this machine has free",
            need >> 20,
            available >> 20
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mem_available_and_refuses_what_does_not_fit() {
        let text = "MemTotal:  8000000 kB\nMemFree: 100 kB\nMemAvailable:    2048 kB\n";
        assert_eq!(mem_available(text), Some(2048 * 1024));
        assert_eq!(mem_available("MemTotal: 1 kB\n"), None);
        assert!(check_fits("trips", 1, 1).is_ok());
        if available_bytes().is_some() {
            let e = check_fits("trips", u64::MAX / 2, 1000).unwrap_err();
            assert!(e.starts_with("trips: "), "{e}");
        }
    }
}
