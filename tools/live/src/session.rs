//! One MQTT session driven on its own thread: it connects, tells the opener whether the broker
//! took it, reconnects with back-off whenever the connection drops (a broker restart), and
//! hands every incoming packet to the owner's handler.

use crate::endpoint::Endpoint;
use rumqttc::{Client, ConnectReturnCode, ConnectionError, Event, Packet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

/// Requests the client may queue for the network thread (publishes, acks).
const REQUEST_CAPACITY: usize = 16_384;
/// QoS 1 publishes the client keeps in flight before waiting for acks.
const INFLIGHT: u16 = 1_000;
/// The first wait before reconnecting; it doubles up to [`BACKOFF_MAX`].
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LiveError {
    #[error("{endpoint}: the broker refused the connection: {reason}")]
    Refused {
        endpoint: String,
        reason: &'static str,
    },
    #[error("{endpoint}: cannot connect: {message}")]
    Unreachable { endpoint: String, message: String },
    #[error("{endpoint}: no answer from the broker in {seconds} s")]
    Timeout { endpoint: String, seconds: u64 },
    #[error("{endpoint}: the session's connection thread stopped")]
    Closed { endpoint: String },
}

fn refusal(code: ConnectReturnCode) -> &'static str {
    match code {
        ConnectReturnCode::BadUserNamePassword => "bad user name or password",
        ConnectReturnCode::NotAuthorized => "not authorized",
        ConnectReturnCode::BadClientId => "client id rejected",
        ConnectReturnCode::ServiceUnavailable => "service unavailable",
        ConnectReturnCode::RefusedProtocolVersion => "MQTT 3.1.1 not accepted",
        ConnectReturnCode::Success => "success",
    }
}

/// What the handler wants after a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// The session is ready for its owner (e.g. its subscriptions are acknowledged).
    Ready,
    Stop,
}

/// The session's network thread: hands packets to the owner, reconnects with backoff, and
/// tells the owner once whether the session came up.
struct NetworkLoop<C, H> {
    client: Client,
    stats: Arc<SessionStats>,
    stop: Arc<AtomicBool>,
    name: String,
    ready: Option<mpsc::Sender<Result<(), LiveError>>>,
    wait_ready: bool,
    connected_before: bool,
    backoff: Duration,
    on_connect: C,
    handle: H,
}

impl<C: Fn(&Client), H: FnMut(Packet) -> Flow> NetworkLoop<C, H> {
    fn run(mut self, mut connection: rumqttc::Connection) {
        // blocking is fine: closing queues a DISCONNECT, which wakes it, and keep-alive pings
        // come every few seconds
        while let Ok(event) = connection.recv() {
            let Some(flow) = self.on_event(event) else {
                break;
            };
            match flow {
                Flow::Continue => {}
                Flow::Ready => {
                    if let Some(tx) = self.ready.take() {
                        let _ = tx.send(Ok(()));
                    }
                }
                Flow::Stop => break,
            }
        }
    }

    /// What to do after `event`; `None`: the thread ends.
    fn on_event(&mut self, event: Result<Event, ConnectionError>) -> Option<Flow> {
        Some(match event {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                if self.connected_before {
                    self.stats.reconnects.fetch_add(1, Ordering::Relaxed);
                    tracing::info!("{}: reconnected", self.name);
                }
                self.connected_before = true;
                self.backoff = BACKOFF_MIN;
                (self.on_connect)(&self.client);
                // a resumed session already holds its subscriptions, and its queued messages
                // come before any SUBACK
                if self.wait_ready && !ack.session_present {
                    Flow::Continue
                } else {
                    Flow::Ready
                }
            }
            Ok(Event::Incoming(Packet::PubAck(_))) => {
                self.stats.acknowledged.fetch_add(1, Ordering::Relaxed);
                Flow::Continue
            }
            Ok(Event::Incoming(packet)) => (self.handle)(packet),
            Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) => Flow::Stop,
            Ok(Event::Outgoing(_)) => Flow::Continue,
            Err(e) => {
                if self.stop.load(Ordering::Relaxed) {
                    return None;
                }
                if let Some(tx) = self.ready.take() {
                    // never connected: the caller gets the reason, no retrying
                    let _ = tx.send(Err(self.never_connected(e)));
                    return None;
                }
                tracing::warn!(
                    "{}: connection lost ({e}); retrying in {:?}",
                    self.name,
                    self.backoff
                );
                std::thread::sleep(self.backoff);
                self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
                Flow::Continue
            }
        })
    }

    fn never_connected(&self, e: ConnectionError) -> LiveError {
        match e {
            ConnectionError::ConnectionRefused(code) => LiveError::Refused {
                endpoint: self.name.clone(),
                reason: refusal(code),
            },
            other => LiveError::Unreachable {
                endpoint: self.name.clone(),
                message: other.to_string(),
            },
        }
    }
}

/// Counters the owner reads while the session runs.
#[derive(Debug, Default)]
pub struct SessionStats {
    /// Connections after the first, i.e. recoveries from a lost connection.
    pub reconnects: AtomicU64,
    /// QoS 1 publishes the broker acknowledged.
    pub acknowledged: AtomicU64,
}

pub struct Session {
    pub client: Client,
    pub stats: Arc<SessionStats>,
    pub endpoint: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("endpoint", &self.endpoint)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Connects and runs the session. `on_connect` is called after every (re)connection, e.g.
    /// to subscribe; `handle` sees every incoming packet and says when the session is ready
    /// (without `wait_ready`, the first connection makes it ready). Returns once ready, or
    /// with the broker's refusal, or after `timeout`.
    pub fn open(
        endpoint: &Endpoint,
        client_id: &str,
        persistent: bool,
        wait_ready: bool,
        timeout: Duration,
        on_connect: impl Fn(&Client) + Send + 'static,
        handle: impl FnMut(Packet) -> Flow + Send + 'static,
    ) -> Result<Session, LiveError> {
        let mut options = endpoint.options(client_id, persistent);
        // incoming QoS 1 messages are acknowledged by the owner once it holds them
        options.set_inflight(INFLIGHT).set_manual_acks(true);
        let (client, connection) = Client::new(options, REQUEST_CAPACITY);
        let stats = Arc::new(SessionStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), LiveError>>();
        let name = endpoint.to_string();
        let network = NetworkLoop {
            client: client.clone(),
            stats: stats.clone(),
            stop: stop.clone(),
            name: name.clone(),
            ready: Some(ready_tx),
            wait_ready,
            connected_before: false,
            backoff: BACKOFF_MIN,
            on_connect,
            handle,
        };
        let thread = std::thread::Builder::new()
            .name(format!("mqtt {client_id}"))
            .spawn(move || network.run(connection))
            .map_err(|e| LiveError::Unreachable {
                endpoint: name.clone(),
                message: e.to_string(),
            })?;
        let session = Session {
            client,
            stats,
            endpoint: name.clone(),
            stop,
            thread: Some(thread),
        };
        let failed = match ready_rx.recv_timeout(timeout) {
            Ok(Ok(())) => return Ok(session),
            Ok(Err(e)) => e,
            Err(mpsc::RecvTimeoutError::Timeout) => LiveError::Timeout {
                endpoint: name,
                seconds: timeout.as_secs(),
            },
            Err(mpsc::RecvTimeoutError::Disconnected) => LiveError::Closed { endpoint: name },
        };
        session.abandon();
        Err(failed)
    }

    /// Stops without waiting for the network thread, which may be blocked handing a message
    /// to an owner that never came to be; it ends at its next event.
    fn abandon(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.client.try_disconnect();
        self.thread = None;
    }

    pub fn reconnects(&self) -> u64 {
        self.stats.reconnects.load(Ordering::Relaxed)
    }

    pub fn acknowledged(&self) -> u64 {
        self.stats.acknowledged.load(Ordering::Relaxed)
    }

    /// Disconnects cleanly and waits for the network thread.
    pub fn close(mut self) {
        self.shut();
    }

    fn shut(&mut self) {
        // stopping first: the broker closing the connection after DISCONNECT is no outage
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.client.try_disconnect();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.shut();
        }
    }
}
