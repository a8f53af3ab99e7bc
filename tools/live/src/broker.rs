//! Access to the city's broker: who may read and write which topics, as mosquitto enforces it
//! with a password file and an ACL file. The twin never trusts a client itself; the broker
//! refuses unknown clients and drops what a role may not publish.
//!
//! | role     | reads           | publishes                                   |
//! |----------|-----------------|---------------------------------------------|
//! | viewer   | `<prefix>/#`    | nothing                                     |
//! | operator | `<prefix>/#`    | observations `<prefix>/v1.1/+/Observations` |
//! | planner  | `<prefix>/#`    | scenario edits `<prefix>/control/#`         |
//! | admin    | `<prefix>/#`, `$SYS/#` | everything under `<prefix>/#`        |

use crate::control;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Operator,
    Planner,
    Admin,
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Role, String> {
        Ok(match s {
            "viewer" => Role::Viewer,
            "operator" => Role::Operator,
            "planner" => Role::Planner,
            "admin" => Role::Admin,
            _ => {
                return Err(format!(
                    "role `{s}`: expected viewer, operator, planner or admin"
                ));
            }
        })
    }
}

impl Role {
    /// The ACL lines of this role under `prefix`.
    fn topics(self, prefix: &str) -> Vec<String> {
        let mut lines = match self {
            Role::Admin => vec![format!("topic readwrite {prefix}/#")],
            _ => vec![format!("topic read {prefix}/#")],
        };
        match self {
            Role::Viewer => {}
            Role::Operator => lines.push(format!("topic write {prefix}/v1.1/+/Observations")),
            Role::Planner => lines.push(format!("topic write {}", control::topic_filter(prefix))),
            Role::Admin => lines.push("topic read $SYS/#".to_string()),
        }
        lines
    }
}

/// One account of the broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub password: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Line {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: no users")]
    Empty { path: PathBuf },
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("mosquitto_passwd (from Debian's mosquitto package): {0}")]
    Passwd(String),
}

/// Reads a users file: one `name role password` per line; `#` starts a comment.
pub fn read_users(path: &Path) -> Result<Vec<User>, AccessError> {
    let text = std::fs::read_to_string(path).map_err(|source| AccessError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let users = parse_users(&text).map_err(|(line, message)| AccessError::Line {
        path: path.to_path_buf(),
        line,
        message,
    })?;
    if users.is_empty() {
        return Err(AccessError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(users)
}

fn parse_users(text: &str) -> Result<Vec<User>, (usize, String)> {
    let mut users: Vec<User> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [name, role, password] = fields[..] else {
            return Err((i + 1, "expected `name role password`".to_string()));
        };
        // names go into mosquitto's files, which are line- and colon-based
        if name.contains(':') || password.contains(':') {
            return Err((i + 1, "a name or password may not contain `:`".to_string()));
        }
        if users.iter().any(|u| u.name == name) {
            return Err((i + 1, format!("user `{name}` is listed twice")));
        }
        users.push(User {
            name: name.to_string(),
            role: role.parse().map_err(|e| (i + 1, e))?,
            password: password.to_string(),
        });
    }
    Ok(users)
}

/// The mosquitto ACL file granting each user its role's topics.
pub fn acl(prefix: &str, users: &[User]) -> String {
    let mut out = String::from("# written by `citytwin broker`: one block per user, by role\n");
    for u in users {
        let _ = writeln!(out, "\n# {:?}\nuser {}", u.role, u.name);
        for line in u.role.topics(prefix) {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// Where and how the broker listens.
#[derive(Clone, Debug)]
pub struct BrokerSetup {
    pub dir: PathBuf,
    pub bind: String,
    pub port: u16,
    pub prefix: String,
}

impl BrokerSetup {
    pub fn config_path(&self) -> PathBuf {
        self.dir.join("mosquitto.conf")
    }

    /// mosquitto.conf: authenticated clients only, sessions and queued messages persisted
    /// across restarts (written at shutdown and every minute: a broker killed outright loses
    /// up to a minute of queued messages), and no cap on queued or in-flight QoS 1 messages (mosquitto's default
    /// of 1000 queued per client would drop observations while the twin is away).
    pub fn config(&self) -> String {
        let dir = self.dir.display();
        format!(
            "# written by `citytwin broker`\n\
             # run as whoever wrote these owner-only files (as root, mosquitto would otherwise\n\
             # switch to its own user and could not read them)\n\
             user {user}\n\
             per_listener_settings false\n\
             listener {port} {bind}\n\
             allow_anonymous false\n\
             password_file {dir}/passwd\n\
             acl_file {dir}/acl\n\
             persistence true\n\
             persistence_location {dir}/data/\n\
             autosave_interval 60\n\
             max_queued_messages 0\n\
             max_queued_bytes 0\n\
             max_inflight_messages 0\n\
             log_dest stderr\n\
             log_type error\n\
             log_type warning\n\
             log_type notice\n\
             connection_messages true\n",
            port = self.port,
            bind = self.bind,
            user = current_user(),
        )
    }

    /// Writes mosquitto.conf, the ACL and the password file (hashed by `mosquitto_passwd`) into
    /// `dir`; returns the config's path for `mosquitto -c`.
    pub fn write(&self, users: &[User]) -> Result<PathBuf, AccessError> {
        let write = |path: PathBuf, text: &str| {
            std::fs::write(&path, text).map_err(|source| AccessError::Write { path, source })
        };
        let data = self.dir.join("data");
        std::fs::create_dir_all(&data).map_err(|source| AccessError::Write {
            path: data.clone(),
            source,
        })?;
        let passwd = self.dir.join("passwd");
        let plain: String = users
            .iter()
            .map(|u| format!("{}:{}\n", u.name, u.password))
            .collect();
        write(passwd.clone(), &plain)?;
        restrict(&passwd)?;
        let out = Command::new("mosquitto_passwd")
            .arg("-U")
            .arg(&passwd)
            .output()
            .map_err(|e| AccessError::Passwd(e.to_string()))?;
        if !out.status.success() {
            return Err(AccessError::Passwd(
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        write(self.dir.join("acl"), &acl(&self.prefix, users))?;
        restrict(&self.dir.join("acl"))?;
        write(self.config_path(), &self.config())?;
        Ok(self.config_path())
    }
}

fn current_user() -> String {
    Command::new("id")
        .arg("-un")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "root".to_string())
}

/// Owner-only permissions: mosquitto 2 warns about readable password and ACL files.
fn restrict(path: &Path) -> Result<(), AccessError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|source| {
        AccessError::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_file_parses_and_rejects_bad_lines() {
        let users = parse_users(
            "# the city's accounts\nwall viewer pw1\ngateway operator pw2  # sensors\n\nplan planner pw3\n",
        )
        .unwrap();
        assert_eq!(users.len(), 3);
        assert_eq!(users[1].role, Role::Operator);
        assert_eq!(users[1].password, "pw2");
        assert_eq!(parse_users("a viewer").unwrap_err().0, 1);
        assert!(
            parse_users("a superuser pw")
                .unwrap_err()
                .1
                .contains("expected viewer")
        );
        assert!(
            parse_users("a viewer x\na admin y")
                .unwrap_err()
                .1
                .contains("twice")
        );
        assert!(parse_users("a:b viewer x").is_err());
    }

    #[test]
    fn acl_gives_each_role_its_topics_only() {
        let users = parse_users("v viewer x\no operator x\np planner x\na admin x").unwrap();
        let acl = acl("city", &users);
        let block = |name: &str| -> Vec<String> {
            acl.split("\n\n")
                .find(|b| b.lines().any(|l| l == format!("user {name}")))
                .unwrap()
                .lines()
                .filter(|l| l.starts_with("topic"))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(block("v"), ["topic read city/#"]);
        assert_eq!(
            block("o"),
            ["topic read city/#", "topic write city/v1.1/+/Observations"]
        );
        assert_eq!(
            block("p"),
            ["topic read city/#", "topic write city/control/#"]
        );
        assert_eq!(block("a"), ["topic readwrite city/#", "topic read $SYS/#"]);
    }
}
