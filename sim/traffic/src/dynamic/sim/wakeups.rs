//! Which junctions have something to do this second. A junction is woken the second the car
//! at the head of one of its incoming links may leave, and served every second from then
//! until no head on its way in is ready: a junction whose cars are all still driving their
//! links costs nothing, however many there are (a regional network's long links).
//!
//! Serving a junction with no ready head moves nothing, so skipping it changes no outcome:
//! the junctions served in a second, in rising order, are the ones that can act.

use super::busy::BusySet;

#[derive(Clone, Debug, Default)]
pub(super) struct Wakeups {
    /// Junctions with a ready head (or woken this second): served this second.
    ready: BusySet,
    /// Junctions to wake later, in the slot of their second modulo the wheel's length (a
    /// power of two longer than any wait scheduled).
    wheel: Vec<Vec<u32>>,
    /// False for a model read from a checkpoint: rebuilt from its links before it steps.
    pub(super) built: bool,
}

impl Wakeups {
    pub(super) fn new() -> Self {
        Wakeups {
            built: true,
            ..Wakeups::default()
        }
    }

    /// Junction `node` has a head that may leave at `at` (now or later).
    pub(super) fn schedule(&mut self, node: u32, at: u32, now: u32) {
        if at <= now {
            self.ready.insert(node);
            return;
        }
        let ahead = (at - now) as usize;
        if ahead >= self.wheel.len() {
            self.grow(ahead + 1, now);
        }
        let slot = at as usize & (self.wheel.len() - 1);
        self.wheel[slot].push(node);
    }

    /// The junctions to serve in second `now`, in rising order, into `out`.
    pub(super) fn due(&mut self, now: u32, out: &mut Vec<u32>) {
        if !self.wheel.is_empty() {
            let slot = now as usize & (self.wheel.len() - 1);
            for node in self.wheel[slot].drain(..) {
                self.ready.insert(node);
            }
        }
        self.ready.members_into(out);
    }

    /// Junction `node` has no ready head left: it sleeps until a head is scheduled.
    pub(super) fn rest(&mut self, node: u32) {
        self.ready.remove(node);
    }

    /// A wheel of at least `span` seconds, its entries moved to their seconds' new slots
    /// (every entry is for a second in `now..now + old length`).
    fn grow(&mut self, span: usize, now: u32) {
        let old = std::mem::take(&mut self.wheel);
        let len = span.next_power_of_two().max(64);
        self.wheel = vec![Vec::new(); len];
        let old_len = old.len();
        for (slot, nodes) in old.into_iter().enumerate() {
            let ahead = (slot + old_len - now as usize % old_len) % old_len;
            let at = now as usize + ahead;
            self.wheel[at & (len - 1)].extend(nodes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every scheduled junction comes out at its second (or at once when due), in rising
    /// order, and the wheel grows without losing any.
    #[test]
    fn junctions_wake_at_their_second() {
        let mut w = Wakeups::new();
        let mut out = Vec::new();
        w.schedule(7, 3, 0);
        w.schedule(5, 3, 0);
        w.schedule(9, 0, 0);
        w.due(0, &mut out);
        assert_eq!(out, [9]);
        w.rest(9);
        w.schedule(4, 1000, 1);
        w.schedule(2, 2, 1);
        w.due(1, &mut out);
        assert!(out.is_empty());
        w.due(2, &mut out);
        assert_eq!(out, [2]);
        w.rest(2);
        w.due(3, &mut out);
        assert_eq!(out, [5, 7]);
        w.rest(5);
        w.rest(7);
        for now in 4..1000 {
            w.due(now, &mut out);
            assert!(out.is_empty(), "{now}: {out:?}");
        }
        w.due(1000, &mut out);
        assert_eq!(out, [4]);
    }
}
