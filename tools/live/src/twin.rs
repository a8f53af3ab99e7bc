//! A World run live: simulated time follows the wall clock (times `pace`), observations from
//! the broker join the World with the simulated time they arrived at, planners' edits apply
//! from the next minute, and every message is acknowledged once the World holds it.
//!
//! A live run is as reproducible as its feeds' timing: the same messages arriving at other
//! moments can be judged differently (late, out of order). Runs without `--live` stay
//! deterministic.

use crate::feed::{Delivery, LiveFeed, Message};
use citytwin_city::City;
use citytwin_city::calendar::clock_text;
use citytwin_city::ron_file;
use citytwin_sim::World;
use citytwin_sim::scenario::{Edit, LiveEditor, Project};
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long the loop waits for a message before checking the clock and Ctrl-C again.
const TICK: Duration = Duration::from_millis(50);

/// One control message and what became of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EditOutcome {
    /// Simulated time it arrived (HH:MM:SS).
    pub at: String,
    pub edit: String,
    pub applied: bool,
    /// Link events scheduled, or why the edit was refused.
    pub outcome: String,
}

/// What a live run received: the `live.` block of summary.json.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LiveFacts {
    pub broker: String,
    pub client_id: String,
    pub pace: f64,
    /// Messages taken from the broker (and acknowledged).
    pub messages: u64,
    pub observations: u64,
    pub malformed: u64,
    /// Messages the broker delivered again (not acknowledged before a disconnection).
    pub redelivered: u64,
    pub reconnects: u64,
    pub edits: Vec<EditOutcome>,
    /// Observations per wall-clock second over the run.
    pub observations_per_s: f64,
}

/// What edits need besides the World.
#[derive(Debug)]
pub struct EditContext<'a> {
    pub editor: LiveEditor,
    pub city: &'a City,
}

/// Maps instants to simulated seconds: the run starts at `from_s` now and runs `pace`
/// simulated seconds per second.
#[derive(Clone, Copy, Debug)]
struct LiveClock {
    start: Instant,
    from_s: u32,
    pace: f64,
}

impl LiveClock {
    fn sim_s(&self, at: Instant) -> f64 {
        f64::from(self.from_s) + at.saturating_duration_since(self.start).as_secs_f64() * self.pace
    }

    fn instant_of(&self, sim_s: u32) -> Instant {
        let ahead = f64::from(sim_s.saturating_sub(self.from_s)) / self.pace;
        self.start + Duration::from_secs_f64(ahead)
    }
}

/// Runs `world` live to the end of its window, or until `keep_going` says stop (asked every
/// simulated minute and while waiting). `project` places edits' lon/lat in the city.
pub fn run_live(
    world: &mut World,
    feed: &LiveFeed,
    pace: f64,
    mut edits: Option<EditContext<'_>>,
    project: Project,
    keep_going: &mut dyn FnMut(&World) -> bool,
) -> LiveFacts {
    let clock = LiveClock {
        start: Instant::now(),
        from_s: world.now_s(),
        pace,
    };
    let mut facts = LiveFacts {
        broker: feed.endpoint().to_string(),
        pace,
        ..LiveFacts::default()
    };
    let to_s = world.options().to_s;
    'run: while world.now_s() < to_s {
        let now = world.now_s();
        let next = (now - now % 60 + 60).min(to_s);
        let deadline = clock.instant_of(next);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if let Some(d) = feed.next(left.min(TICK)) {
                // it arrived now, but never later than the minute the World is about to run
                let arrival = (clock.sim_s(d.received) as u32).clamp(now, next);
                take(world, &d, arrival, &mut edits, project, &mut facts);
                feed.ack(&d);
                continue;
            }
            if Instant::now() >= deadline {
                break;
            }
            if !keep_going(world) {
                break 'run;
            }
        }
        world.advance_to(next);
        if !keep_going(world) {
            break;
        }
    }
    world.flush_stats();
    facts.reconnects = feed.reconnects();
    let wall = clock.start.elapsed().as_secs_f64().max(1e-3);
    facts.observations_per_s = facts.observations as f64 / wall;
    facts
}

fn take(
    world: &mut World,
    d: &Delivery,
    arrival: u32,
    edits: &mut Option<EditContext<'_>>,
    project: Project,
    facts: &mut LiveFacts,
) {
    facts.messages += 1;
    facts.redelivered += u64::from(d.redelivered);
    match &d.message {
        Message::Observation(obs) => {
            facts.observations += 1;
            world.push_live(arrival, *obs);
        }
        Message::Malformed { topic, error } => {
            facts.malformed += 1;
            tracing::warn!("{topic}: {error}");
            world.count_malformed();
        }
        Message::Control(payload) => {
            let text = String::from_utf8_lossy(payload).trim().to_string();
            let result = match (ron_file::from_str::<Edit>(&text), edits.as_mut()) {
                (Err(e), _) => Err(format!("not a scenario edit: {e}")),
                (Ok(_), None) => Err("this run takes no edits".to_string()),
                (Ok(edit), Some(ctx)) => ctx
                    .editor
                    .apply(edit, Path::new("control message"), ctx.city, project, world)
                    .map(|n| format!("{n} link events from {}", clock_text(arrival)))
                    .map_err(|e| e.to_string()),
            };
            if let Err(why) = &result {
                tracing::warn!("scenario edit refused: {why}");
            }
            facts.edits.push(EditOutcome {
                at: clock_text(arrival),
                edit: text,
                applied: result.is_ok(),
                outcome: result.unwrap_or_else(|e| e),
            });
        }
    }
}
