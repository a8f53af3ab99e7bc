//! Where the broker is and who we are to it: `mqtt://[user[:password]@]host[:port]`.

use rumqttc::MqttOptions;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

pub const DEFAULT_PORT: u16 = 1883;

/// The environment variable a password is read from when the URL names a user but no
/// password (so that it stays out of `ps` and shell histories).
pub const PASSWORD_VAR: &str = "CITYTWIN_MQTT_PASSWORD";

#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
}

// the password never reaches a log line
impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.user {
            Some(user) => write!(f, "mqtt://{user}@{}:{}", self.host, self.port),
            None => write!(f, "mqtt://{}:{}", self.host, self.port),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("broker address `{0}`: expected mqtt://[user[:password]@]host[:port]")]
pub struct EndpointError(pub String);

impl FromStr for Endpoint {
    type Err = EndpointError;

    fn from_str(text: &str) -> Result<Endpoint, EndpointError> {
        let bad = || EndpointError(text.to_string());
        let rest = text.strip_prefix("mqtt://").ok_or_else(bad)?;
        let (credentials, address) = match rest.rsplit_once('@') {
            Some((c, a)) => (Some(c), a),
            None => (None, rest),
        };
        let (user, password) = match credentials {
            Some(c) => match c.split_once(':') {
                Some((u, p)) => (Some(u.to_string()), Some(p.to_string())),
                None => (Some(c.to_string()), None),
            },
            None => (None, None),
        };
        if user.as_deref() == Some("") {
            return Err(bad());
        }
        let (host, port) = match address.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| bad())?),
            None => (address, DEFAULT_PORT),
        };
        if host.is_empty() || host.contains('/') {
            return Err(bad());
        }
        Ok(Endpoint {
            host: host.to_string(),
            port,
            user,
            password,
        })
    }
}

impl Endpoint {
    /// A user without a password in the URL takes it from [`PASSWORD_VAR`].
    pub fn with_password_from_env(mut self) -> Endpoint {
        if self.user.is_some() && self.password.is_none() {
            self.password = std::env::var(PASSWORD_VAR).ok();
        }
        self
    }

    /// Connection options for a client. `persistent`: the broker keeps the session (its
    /// subscriptions and the QoS 1 messages not yet acknowledged) while the client is away.
    pub fn options(&self, client_id: &str, persistent: bool) -> MqttOptions {
        let mut o = MqttOptions::new(client_id, self.host.clone(), self.port);
        o.set_keep_alive(Duration::from_secs(5))
            .set_clean_session(!persistent)
            .set_max_packet_size(64 * 1024, 64 * 1024);
        if let Some(user) = &self.user {
            o.set_credentials(user.clone(), self.password.clone().unwrap_or_default());
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_and_without_credentials() {
        let e: Endpoint = "mqtt://ops:s3cret@127.0.0.1:18830".parse().unwrap();
        assert_eq!(e.host, "127.0.0.1");
        assert_eq!(e.port, 18830);
        assert_eq!(e.user.as_deref(), Some("ops"));
        assert_eq!(e.password.as_deref(), Some("s3cret"));
        assert_eq!(e.to_string(), "mqtt://ops@127.0.0.1:18830");
        assert!(!format!("{e:?}").contains("s3cret"));

        let e: Endpoint = "mqtt://broker.local".parse().unwrap();
        assert_eq!((e.port, e.user), (DEFAULT_PORT, None));

        let e: Endpoint = "mqtt://viewer@localhost:1883".parse().unwrap();
        assert_eq!(e.user.as_deref(), Some("viewer"));
        assert_eq!(e.password, None);
    }

    #[test]
    fn bad_urls_are_errors() {
        for bad in [
            "tcp://x:1",
            "mqtt://",
            "mqtt://host:port",
            "mqtt://@host",
            "mqtt://host:1883/path",
            "mqtt://host:99999",
        ] {
            assert!(bad.parse::<Endpoint>().is_err(), "{bad}");
        }
    }
}
