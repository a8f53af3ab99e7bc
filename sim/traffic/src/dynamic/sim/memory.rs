//! The model's memory, for the bytes-per-vehicle figure.

use super::{LinkState, TrafficSim, Vehicle};
use crate::dynamic::{TripRecord, TripSpec};

impl TrafficSim {
    /// Heap bytes the model holds (trips, their records and routes, vehicles, link queues,
    /// statistics bins), for the bytes-per-vehicle figure; the network and router excluded.
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        let routes: usize = self
            .vehicles
            .iter()
            .flatten()
            .map(|v| v.route.capacity() * size_of::<u32>())
            .sum::<usize>()
            + self
                .plans
                .iter()
                .chain(&self.taken)
                .map(|r| r.capacity() * size_of::<u32>() + size_of::<Vec<u32>>())
                .sum::<usize>();
        let queues: usize = self
            .links
            .iter()
            .map(|l| (l.queue.capacity() + l.waiting.capacity()) * size_of::<u32>())
            .sum();
        let bins = self.stats.heap_bytes();
        self.trips.capacity() * size_of::<TripSpec>()
            + self.records.capacity() * size_of::<TripRecord>()
            + self.order.capacity() * size_of::<u32>()
            + self.adaptive.capacity()
            + self.vehicles.capacity() * size_of::<Option<Vehicle>>()
            + self.links.capacity() * size_of::<LinkState>()
            + routes
            + queues
            + bins
    }
}
