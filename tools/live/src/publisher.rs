//! Publishing observations (and control messages) with QoS 1: each is acknowledged by the
//! broker, and what is still unacknowledged when a connection drops is sent again after the
//! reconnection.

use crate::endpoint::Endpoint;
use crate::session::{Flow, LiveError, Session};
use citytwin_ops::Observation;
use citytwin_ops::wire::{self, SimDay};
use rumqttc::QoS;
use serde::Serialize;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Published {
    pub published: u64,
    /// Acknowledged by the broker (PUBACK).
    pub acknowledged: u64,
    pub reconnects: u64,
}

#[derive(Debug)]
pub struct Publisher {
    session: Session,
    published: u64,
}

impl Publisher {
    pub fn connect(
        endpoint: &Endpoint,
        client_id: &str,
        timeout: Duration,
    ) -> Result<Publisher, LiveError> {
        let session = Session::open(
            endpoint,
            client_id,
            false,
            false,
            timeout,
            |_| {},
            |_| Flow::Continue,
        )?;
        Ok(Publisher {
            session,
            published: 0,
        })
    }

    /// Queues one QoS 1 message (waits while the client's request queue is full).
    pub fn publish(&mut self, topic: &str, payload: Vec<u8>) -> Result<(), LiveError> {
        self.session
            .client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .map_err(|_| LiveError::Closed {
                endpoint: self.session.endpoint.clone(),
            })?;
        self.published += 1;
        Ok(())
    }

    pub fn observation(
        &mut self,
        prefix: &str,
        obs: &Observation,
        day: &SimDay,
    ) -> Result<(), LiveError> {
        self.publish(&wire::topic(prefix, obs.datastream), wire::encode(obs, day))
    }

    pub fn progress(&self) -> Published {
        Published {
            published: self.published,
            acknowledged: self.session.acknowledged(),
            reconnects: self.session.reconnects(),
        }
    }

    /// Waits until the broker has acknowledged everything (or `timeout` passed), then
    /// disconnects.
    pub fn finish(self, timeout: Duration) -> Published {
        let until = Instant::now() + timeout;
        while self.session.acknowledged() < self.published && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        let done = self.progress();
        self.session.close();
        done
    }
}
