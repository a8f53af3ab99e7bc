//! Routing beside the simulation. The routes of the trips that leave before the next change
//! of travel times depend on those costs alone, so they are made on the pool's other threads
//! while this one steps the queues: workers take the trips in departure order, and a trip
//! whose time has come and whose route nobody has begun is routed by the stepping thread
//! itself, as are later trips' routes while it waits for a worker's. Each route goes to its
//! trip's slot and is taken out in departure order: the outcome is the same, byte for byte,
//! whatever the number of threads or how they are timed.
//!
//! Workers stop before the hierarchy is customized again or the other threads are wanted for
//! one parallel batch (the navigating drivers' re-routes), and start again at the next
//! departure while routes are left to make.

use crate::dynamic::cch::{Cch, CchQuery, RouteLegs};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// Routes in a batch for each worker thread started on it, at least.
const ROUTES_PER_WORKER: usize = 16;

/// Waiting for a worker's route, the stepping thread spins this many times, then yields.
const SPINS_BEFORE_YIELD: u32 = 64;

/// A trip's route, if any, or where it stands.
enum Slot {
    Pending,
    Routed(Option<Vec<u32>>),
    Taken,
}

/// The routes of the trips leaving from one second until the next travel-time update, all on
/// the costs of one customization.
struct Batch {
    router: Arc<Cch>,
    /// The route to make for each trip, in departure order; `None` where a link is missing.
    legs: Vec<Option<RouteLegs>>,
    /// The first route no thread has taken on yet.
    next: AtomicUsize,
    stop: AtomicBool,
    slots: Vec<Mutex<Slot>>,
}

impl Batch {
    /// Takes on the next route nobody has begun and makes it; false when none is left.
    fn route_next(&self, query: &mut CchQuery) -> bool {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        if i >= self.legs.len() {
            return false;
        }
        self.route(i, query);
        true
    }

    fn route(&self, i: usize, query: &mut CchQuery) {
        let route = self.legs[i].and_then(|legs| self.router.route_owned(query, legs));
        *lock(&self.slots[i]) = Slot::Routed(route);
    }

    fn has_unclaimed(&self) -> bool {
        self.next.load(Ordering::Relaxed) < self.legs.len()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Routes being made ahead of their departures, and the threads making them.
#[derive(Default)]
pub(super) struct Prefetch {
    batch: Option<Arc<Batch>>,
    /// Each trip's slot in the batch.
    slot_of: BTreeMap<u32, usize>,
    /// On the costs of this customization (see `TrafficSim::metric_epoch`), for trips leaving
    /// before `until_s`.
    epoch: u64,
    until_s: u32,
    workers: Vec<JoinHandle<CchQuery>>,
    /// Scratch kept between workers.
    spare: Vec<CchQuery>,
}

impl Prefetch {
    /// Starts a batch: the routes of `trips` (in departure order) on `router`'s costs.
    pub(super) fn start(
        &mut self,
        router: &Arc<Cch>,
        epoch: u64,
        until_s: u32,
        trips: Vec<(u32, Option<RouteLegs>)>,
    ) {
        self.clear();
        self.slot_of = trips
            .iter()
            .enumerate()
            .map(|(i, &(t, _))| (t, i))
            .collect();
        let slots = trips.iter().map(|_| Mutex::new(Slot::Pending)).collect();
        self.batch = Some(Arc::new(Batch {
            router: Arc::clone(router),
            legs: trips.into_iter().map(|(_, legs)| legs).collect(),
            next: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            slots,
        }));
        self.epoch = epoch;
        self.until_s = until_s;
    }

    /// Routes were made on these costs for trips leaving now.
    pub(super) fn covers(&self, epoch: u64, now: u32) -> bool {
        self.batch.is_some() && self.epoch == epoch && now < self.until_s
    }

    /// Puts `threads` workers on the routes left to make, if any are left and none work.
    pub(super) fn work(&mut self, threads: usize) {
        let Some(batch) = &self.batch else { return };
        if !self.workers.is_empty() || !batch.has_unclaimed() {
            return;
        }
        // a thread for fewer routes than this costs more to start than it saves
        let workers = threads.min(batch.legs.len().div_ceil(ROUTES_PER_WORKER));
        for _ in 0..workers {
            let batch = Arc::clone(batch);
            let mut query = self.spare.pop().unwrap_or_else(|| batch.router.new_query());
            self.workers.push(std::thread::spawn(move || {
                while !batch.stop.load(Ordering::Relaxed) {
                    if !batch.route_next(&mut query) {
                        break;
                    }
                }
                query
            }));
        }
    }

    /// Stops the workers after the route each is making (the batch stays, to go on later).
    pub(super) fn pause(&mut self) {
        let Some(batch) = &self.batch else { return };
        batch.stop.store(true, Ordering::Relaxed);
        for worker in self.workers.drain(..) {
            // a worker that panicked lost only its scratch; its route is made again below
            if let Ok(query) = worker.join() {
                self.spare.push(query);
            }
        }
        batch.stop.store(false, Ordering::Relaxed);
    }

    /// Stops the workers and forgets the batch (its costs are about to change).
    pub(super) fn clear(&mut self) {
        self.pause();
        self.batch = None;
        self.slot_of.clear();
    }

    /// Trip `t`'s route from the batch, waiting for it if a worker is making it, making it
    /// here (with the stepping thread's `query`) if nobody has begun it; `None` when the trip
    /// is not in the batch.
    pub(super) fn take(&mut self, t: u32, query: &mut CchQuery) -> Option<Option<Vec<u32>>> {
        let batch = self.batch.as_ref()?;
        let i = self.slot_of.remove(&t)?;
        let mut waited = 0u32;
        loop {
            let mut slot = lock(&batch.slots[i]);
            match std::mem::replace(&mut *slot, Slot::Taken) {
                Slot::Routed(route) => return Some(route),
                Slot::Taken => return None,
                Slot::Pending => *slot = Slot::Pending,
            }
            drop(slot);
            if batch.next.load(Ordering::Relaxed) <= i {
                batch.route_next(query);
            } else if self.workers.iter().all(JoinHandle::is_finished) {
                // its worker ended without making it (it panicked): made here
                batch.route(i, query);
            } else if batch.route_next(query) {
                // a worker is making it: meanwhile this thread makes a later trip's route
                // rather than wait (waiting, it left the routes of a rush to one core)
            } else {
                // a worker is making it and none is left to make: one route, microseconds,
                // unless the worker waits for a core (several runs at once, as comparisons
                // and sweeps make): then it gets this one
                waited += 1;
                if waited.is_multiple_of(SPINS_BEFORE_YIELD) {
                    std::thread::yield_now();
                } else {
                    std::hint::spin_loop();
                }
            }
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A copy of the model (a fork, a checkpoint) routes its own trips again.
impl Clone for Prefetch {
    fn clone(&self) -> Prefetch {
        Prefetch::default()
    }
}

impl std::fmt::Debug for Prefetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (routes, workers) = (self.slot_of.len(), self.workers.len());
        write!(f, "Prefetch({routes} routes to take, {workers} workers)")
    }
}
