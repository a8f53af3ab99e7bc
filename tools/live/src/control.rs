//! The control surface: a planner publishes a scenario edit (one RON `Edit`, as in a scenario
//! file's `edits:` list) to `<prefix>/control/scenario`, and the running twin applies it at
//! its next minute. Only the broker's ACL decides who may: viewers and operators cannot.

/// Where edits are published.
pub fn edits_topic(prefix: &str) -> String {
    format!("{prefix}/control/scenario")
}

/// Every control topic, for subscriptions and ACLs.
pub fn topic_filter(prefix: &str) -> String {
    format!("{prefix}/control/#")
}

/// Whether a topic is a control topic of `prefix`.
pub fn is_control(prefix: &str, topic: &str) -> bool {
    topic
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.starts_with("/control/"))
}
