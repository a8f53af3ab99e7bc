//! A mosquitto broker run as a child process with a [`BrokerSetup`]'s configuration: for
//! `citytwin broker --run`, the tests and the ingestion benchmark.

use crate::broker::BrokerSetup;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const STARTUP: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum MosquittoError {
    #[error("starting mosquitto (Debian package mosquitto; scripts/setup.sh installs it): {0}")]
    Spawn(std::io::Error),
    #[error("mosquitto -c {config} exited at start ({status}); see its log {log}")]
    Exited {
        config: PathBuf,
        status: std::process::ExitStatus,
        log: PathBuf,
    },
    #[error("mosquitto did not listen on port {port} within {seconds} s")]
    NotListening { port: u16, seconds: u64 },
    #[error("no free loopback port: {0}")]
    NoPort(std::io::Error),
}

/// A free TCP port on the loopback interface (free when asked; bind it soon).
pub fn free_port() -> Result<u16, MosquittoError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(MosquittoError::NoPort)?;
    Ok(listener
        .local_addr()
        .map_err(MosquittoError::NoPort)?
        .port())
}

#[derive(Debug)]
pub struct Mosquitto {
    setup: BrokerSetup,
    child: Option<Child>,
}

impl Mosquitto {
    /// Starts mosquitto on the setup's (already written) configuration and waits until it
    /// listens. Its log goes to `<dir>/mosquitto.log`.
    pub fn start(setup: &BrokerSetup) -> Result<Mosquitto, MosquittoError> {
        let mut broker = Mosquitto {
            setup: setup.clone(),
            child: None,
        };
        broker.launch()?;
        Ok(broker)
    }

    pub fn port(&self) -> u16 {
        self.setup.port
    }

    fn log_path(&self) -> PathBuf {
        self.setup.dir.join("mosquitto.log")
    }

    fn launch(&mut self) -> Result<(), MosquittoError> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(MosquittoError::Spawn)?;
        let mut child = Command::new("mosquitto")
            .arg("-c")
            .arg(self.setup.config_path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(MosquittoError::Spawn)?;
        let until = Instant::now() + STARTUP;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(MosquittoError::Exited {
                    config: self.setup.config_path(),
                    status,
                    log: self.log_path(),
                });
            }
            if TcpStream::connect(("127.0.0.1", self.setup.port)).is_ok() {
                break;
            }
            if Instant::now() > until {
                let _ = child.kill();
                return Err(MosquittoError::NotListening {
                    port: self.setup.port,
                    seconds: STARTUP.as_secs(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(child);
        Ok(())
    }

    /// Stops the broker as a service manager would (SIGTERM: it saves its sessions and
    /// queued messages) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let terminated = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status()
                .is_ok_and(|s| s.success());
            if !terminated {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }

    /// Stops and starts it again on the same port and persistence.
    pub fn restart(&mut self) -> Result<(), MosquittoError> {
        self.stop();
        self.launch()
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
    }
}
