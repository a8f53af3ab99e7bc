//! The twin inside the app: the city and its World as a resource, and the simulation clock
//! that steps the World in `FixedUpdate` at the chosen speed.

use bevy::prelude::*;
use citytwin_city::City;
use citytwin_sim::World;

/// The city and its running World.
#[derive(Resource)]
pub struct Twin {
    pub city: City,
    pub world: World,
    pub scene_name: String,
}

impl std::fmt::Debug for Twin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Twin")
            .field("scene_name", &self.scene_name)
            .field("now_s", &self.world.now_s())
            .finish_non_exhaustive()
    }
}

/// Simulated seconds per real second the operator can pick.
pub const SPEEDS: [u32; 4] = [1, 10, 60, 600];

/// How the simulation advances: speed, pause, single steps and jumps.
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct SimClock {
    /// Simulated seconds per real second.
    pub speed: u32,
    pub paused: bool,
    /// Simulated seconds owed but not yet stepped (0..1): the share of the next step to draw.
    pub carry: f64,
    /// Steps asked for while paused.
    pub pending_steps: u32,
    /// A time of day to jump to; before now restarts the day and runs forward.
    pub jump_to: Option<u32>,
}

impl Default for SimClock {
    fn default() -> Self {
        SimClock {
            speed: 60,
            paused: false,
            carry: 0.0,
            pending_steps: 0,
            jump_to: None,
        }
    }
}

/// Ordering of what happens to the World in a frame.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum TwinSet {
    /// The World advances (FixedUpdate).
    Step,
    /// Views of the World are read for drawing (Update).
    Read,
}

/// Steps the World at the clock's speed; keys: Space pause, `.` one step, 1–4 speeds,
/// `[`/`]` an hour back/forward.
#[derive(Debug, Default)]
pub struct SimClockPlugin {
    /// Speed at start (simulated seconds per real second).
    pub speed: u32,
    pub paused: bool,
}

impl Plugin for SimClockPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(SimClock {
            speed: self.speed.max(1),
            paused: self.paused,
            ..SimClock::default()
        })
        .add_systems(FixedUpdate, step_world.in_set(TwinSet::Step))
        .add_systems(
            Update,
            (read_clock_keys, apply_jump).chain().before(TwinSet::Read),
        );
    }
}

/// At most this many simulated seconds per fixed tick, so a slow frame cannot snowball.
const MAX_STEPS_PER_TICK: f64 = 120.0;

fn step_world(time: Res<Time<Fixed>>, mut clock: ResMut<SimClock>, mut twin: ResMut<Twin>) {
    let steps = if clock.paused {
        std::mem::take(&mut clock.pending_steps)
    } else {
        let owed =
            (clock.carry + time.delta_secs_f64() * f64::from(clock.speed)).min(MAX_STEPS_PER_TICK);
        let whole = owed.floor();
        clock.carry = owed - whole;
        whole as u32
    };
    let end = twin.world.options().to_s;
    for _ in 0..steps {
        if twin.world.now_s() >= end {
            clock.carry = 0.0;
            break;
        }
        twin.world.step();
    }
}

fn read_clock_keys(keys: Res<ButtonInput<KeyCode>>, mut clock: ResMut<SimClock>, twin: Res<Twin>) {
    if keys.just_pressed(KeyCode::Space) {
        clock.paused = !clock.paused;
    }
    if keys.just_pressed(KeyCode::Period) {
        clock.paused = true;
        clock.pending_steps += 1;
    }
    let digits = [
        KeyCode::Digit1,
        KeyCode::Digit2,
        KeyCode::Digit3,
        KeyCode::Digit4,
    ];
    for (key, speed) in digits.iter().zip(SPEEDS) {
        if keys.just_pressed(*key) {
            clock.speed = speed;
        }
    }
    let now = twin.world.now_s();
    if keys.just_pressed(KeyCode::BracketRight) {
        clock.jump_to = Some(now + 3600);
    }
    if keys.just_pressed(KeyCode::BracketLeft) {
        clock.jump_to = Some(now.saturating_sub(3600));
    }
}

/// Jumps run the model (never skip it): a jump back replays the day from its start.
fn apply_jump(mut clock: ResMut<SimClock>, mut twin: ResMut<Twin>) {
    let Some(target) = clock.jump_to.take() else {
        return;
    };
    let options = &twin.world.options();
    let target = target.clamp(options.from_s, options.to_s);
    if target < twin.world.now_s() {
        twin.world.restart();
    }
    twin.world.advance_to(target);
    clock.carry = 0.0;
}

/// `HH:MM` of a time of day in seconds.
pub fn clock_text(t: u32) -> String {
    format!("{:02}:{:02}", t / 3600, t / 60 % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::grid_twin;
    use bevy::time::TimeUpdateStrategy;
    use std::time::Duration;

    /// A bare app: no window, no renderer, a manual clock of 250 ms per update.
    fn app(speed: u32, paused: bool) -> App {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(
                250,
            )))
            .init_resource::<ButtonInput<KeyCode>>()
            .insert_resource(grid_twin(200))
            .add_plugins(SimClockPlugin { speed, paused });
        let mut twin = app.world_mut().resource_mut::<Twin>();
        twin.world.advance_to(7 * 3600);
        app
    }

    fn now(app: &App) -> u32 {
        app.world().resource::<Twin>().world.now_s()
    }

    #[test]
    fn the_world_advances_at_the_clock_speed_in_fixed_steps() {
        let mut app = app(60, false);
        let start = now(&app);
        for _ in 0..9 {
            app.update();
        }
        // 8 updates of 250 ms after the first: 2 s of real time at 60× is 120 s
        let advanced = now(&app) - start;
        assert!((110..=130).contains(&advanced), "advanced {advanced} s");
    }

    #[test]
    fn paused_it_moves_only_by_single_steps() {
        let mut app = app(600, true);
        let start = now(&app);
        for _ in 0..5 {
            app.update();
        }
        assert_eq!(now(&app), start);
        app.world_mut().resource_mut::<SimClock>().pending_steps = 3;
        for _ in 0..3 {
            app.update();
        }
        assert_eq!(now(&app), start + 3);
    }

    #[test]
    fn jumps_go_forward_and_back_by_running_the_model() {
        let mut app = app(1, true);
        app.world_mut().resource_mut::<SimClock>().jump_to = Some(8 * 3600);
        app.update();
        assert_eq!(now(&app), 8 * 3600);
        let done_at_8 = app.world().resource::<Twin>().world.traffic().counts();
        app.world_mut().resource_mut::<SimClock>().jump_to = Some(7 * 3600 + 1800);
        app.update();
        assert_eq!(now(&app), 7 * 3600 + 1800);
        // and forward again to the same state: the day is replayed deterministically
        app.world_mut().resource_mut::<SimClock>().jump_to = Some(8 * 3600);
        app.update();
        assert_eq!(
            app.world().resource::<Twin>().world.traffic().counts(),
            done_at_8
        );
    }

    #[test]
    fn clock_text_is_hours_and_minutes() {
        assert_eq!(clock_text(8 * 3600 + 5 * 60 + 59), "08:05");
    }
}
