//! The twin's side: a persistent QoS 1 subscription to every datastream's observations and to
//! the control topic. Messages are decoded on the network thread and handed over with the
//! instant they arrived; the twin acknowledges each one once the World holds it, so a message
//! is acknowledged to the broker only after it is in the World, and one that is not (the twin
//! stopped, the connection dropped) is delivered again when the session resumes.

use crate::control;
use crate::endpoint::Endpoint;
use crate::session::{Flow, LiveError, Session};
use citytwin_ops::Observation;
use citytwin_ops::wire::{self, SimDay, WireError};
use rumqttc::{Packet, Publish, QoS};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Messages waiting for the twin; when full, the network thread waits and the broker queues.
const BACKLOG: usize = 200_000;

/// Observations of every datastream under `prefix`.
pub fn observations_filter(prefix: &str) -> String {
    format!("{prefix}/v1.1/+/Observations")
}

#[derive(Debug)]
pub enum Message {
    Observation(Observation),
    /// Could not be decoded: counted, acknowledged, dropped.
    Malformed {
        topic: String,
        error: WireError,
    },
    /// A control message (a scenario edit), undecoded.
    Control(Vec<u8>),
}

#[derive(Debug)]
pub struct Delivery {
    pub received: Instant,
    pub message: Message,
    /// Whether the broker marked it as a re-delivery.
    pub redelivered: bool,
    publish: Publish,
}

#[derive(Debug)]
pub struct LiveFeed {
    session: Session,
    rx: mpsc::Receiver<Delivery>,
}

impl LiveFeed {
    /// Subscribes (persistent session `client_id`) and returns once the broker has
    /// acknowledged the subscriptions.
    pub fn subscribe(
        endpoint: &Endpoint,
        client_id: &str,
        prefix: &str,
        day: SimDay,
        timeout: Duration,
    ) -> Result<LiveFeed, LiveError> {
        let (tx, rx) = mpsc::sync_channel(BACKLOG);
        let filters = [observations_filter(prefix), control::topic_filter(prefix)];
        let prefix = prefix.to_string();
        let subscribe = move |client: &rumqttc::Client| {
            for f in &filters {
                // the session may already hold them; subscribing again is harmless
                if let Err(e) = client.try_subscribe(f.clone(), QoS::AtLeastOnce) {
                    tracing::warn!("subscribing to {f}: {e}");
                }
            }
        };
        let handle = move |packet: Packet| match packet {
            Packet::SubAck(_) => Flow::Ready,
            Packet::Publish(publish) => {
                let message = if control::is_control(&prefix, &publish.topic) {
                    Message::Control(publish.payload.to_vec())
                } else {
                    match wire::decode(&publish.topic, &publish.payload, &day) {
                        Ok(obs) => Message::Observation(obs),
                        Err(error) => Message::Malformed {
                            topic: publish.topic.clone(),
                            error,
                        },
                    }
                };
                let delivery = Delivery {
                    received: Instant::now(),
                    message,
                    redelivered: publish.dup,
                    publish,
                };
                if tx.send(delivery).is_ok() {
                    Flow::Continue
                } else {
                    Flow::Stop
                }
            }
            _ => Flow::Continue,
        };
        let session = Session::open(endpoint, client_id, true, true, timeout, subscribe, handle)?;
        Ok(LiveFeed { session, rx })
    }

    /// The next message, waiting at most `wait`.
    pub fn next(&self, wait: Duration) -> Option<Delivery> {
        self.rx.recv_timeout(wait).ok()
    }

    /// Tells the broker the twin holds this message.
    pub fn ack(&self, delivery: &Delivery) {
        if delivery.publish.qos != QoS::AtMostOnce
            && let Err(e) = self.session.client.ack(&delivery.publish)
        {
            tracing::warn!("acknowledging a message: {e}");
        }
    }

    pub fn reconnects(&self) -> u64 {
        self.session.reconnects()
    }

    pub fn endpoint(&self) -> &str {
        &self.session.endpoint
    }

    /// Disconnects; what was not acknowledged stays with the broker for the next session.
    pub fn close(self) {
        drop(self.rx);
        self.session.close();
    }
}
