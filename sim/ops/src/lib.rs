//! Operations: how the city is watched. Sensors after the OGC SensorThings data model, fed by
//! the simulation (virtual sensors), by replayed real series and by live MQTT feeds, all
//! through one ingestion path that sorts out bad messages; vital-sign indicators with
//! green/amber/red levels per grid cell, district and city; a data-quality score per feed;
//! and cases that go discover → dispatch → dispose → evaluate.
//!
//! No I/O here: the MQTT client lives in `citytwin` (tools/cli) and hands decoded
//! observations to [`feeds::Feeds::ingest`].

pub mod cases;
pub mod catalog;
pub mod desk;
pub mod feeds;
pub mod iaqi;
pub mod model;
pub mod quality;
pub mod replay;
pub mod ring;
pub mod services;
pub mod setup;
pub mod vitals;
pub mod wire;

pub use catalog::Quantity;
pub use model::{Datastream, Level, Observation, Thing, Thresholds};
