//! Live feeds over MQTT for the twin: the subscription that brings observations and scenario
//! edits into a running World ([`feed`]), a publisher for gateways and tests ([`publisher`]),
//! and the broker's access rules, written as mosquitto configuration ([`broker`]).
//!
//! Topics and payloads are those of `citytwin_ops::wire` (after the SensorThings MQTT
//! extension); QoS 1 throughout, and the twin's session is persistent, so the broker keeps
//! what the twin has not acknowledged across disconnections and its own restarts.

pub mod broker;
pub mod control;
pub mod endpoint;
pub mod feed;
pub mod mosquitto;
pub mod publisher;
pub mod session;
pub mod twin;

pub use endpoint::Endpoint;
pub use feed::{Delivery, LiveFeed, Message};
pub use publisher::{Published, Publisher};
pub use session::LiveError;
