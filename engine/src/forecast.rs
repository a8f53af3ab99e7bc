//! The hour ahead on the wall (以虚预实): every few simulated minutes a forecaster runs a copy
//! of the World an hour on, on a background thread, so frames keep coming; key H (or the
//! buttons under the clock) switches the traffic overlay between now, +15, +30 and +60
//! minutes; the alarms the forecast expects join the alarm panel with their expected time;
//! and the HUD says how old the forecast is. The running World is only read (forked).

use crate::hud::{AlarmPanel, CongestionAlarms, HudFont, KpiPanel, text};
use crate::palette::Palette;
use crate::twin::{Twin, TwinSet, clock_text};
use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};
use citytwin_sim::forecast::{AlarmAhead, AlarmKind, Outlook, due, outlook};

/// The overlay's views: now and minutes ahead.
pub const HORIZONS: [u32; 4] = [0, 15, 30, 60];
/// How far each forecast runs.
const HORIZON_S: u32 = 3600;
/// Predicted alarms listed at most.
const PREDICTED_LINES: usize = 5;

#[derive(Debug, Clone)]
pub struct ForecastPlugin {
    /// Simulated seconds between forecasts.
    pub every_s: u32,
    /// The overlay's view at start, minutes ahead (one of [`HORIZONS`]).
    pub minutes_ahead: u32,
    /// Forecast on the frame's own thread, before anything is drawn: for snapshots, whose
    /// single picture must show a finished forecast.
    pub blocking: bool,
    /// Congestion alarms are the worst this many hotspots, as in the HUD's feed.
    pub congestion_alarms: usize,
}

/// What the traffic overlay shows: now (0) or this many minutes ahead.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrafficHorizon {
    pub minutes_ahead: u32,
}

/// The latest finished forecast, and the one being made.
#[derive(Resource, Default)]
pub struct Forecaster {
    pub latest: Option<Outlook>,
    running: Option<Task<Outlook>>,
    last_started_s: Option<u32>,
}

impl std::fmt::Debug for Forecaster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forecaster")
            .field("made_at_s", &self.latest.as_ref().map(|o| o.made_at_s))
            .field("running", &self.running.is_some())
            .finish()
    }
}

impl Forecaster {
    /// The loads the overlay should draw at `horizon`, when a forecast reaches it.
    pub fn loads_at(&self, horizon: TrafficHorizon) -> Option<&[citytwin_sim::views::LinkLoad]> {
        if horizon.minutes_ahead == 0 {
            return None;
        }
        self.latest.as_ref()?.loads_at(horizon.minutes_ahead)
    }
}

#[derive(Resource, Clone, Copy, Debug)]
struct Settings {
    every_s: u32,
    blocking: bool,
    congestion_alarms: usize,
}

/// One of the overlay's view buttons.
#[derive(Component, Debug, Clone, Copy)]
struct HorizonButton(u32);

#[derive(Component, Debug)]
struct ForecastAge;

#[derive(Component, Debug)]
struct PredictedAlarms;

impl Plugin for ForecastPlugin {
    fn build(&self, app: &mut App) {
        let minutes_ahead = if HORIZONS.contains(&self.minutes_ahead) {
            self.minutes_ahead
        } else {
            0
        };
        app.insert_resource(TrafficHorizon { minutes_ahead })
            .insert_resource(Settings {
                every_s: self.every_s.max(60),
                blocking: self.blocking,
                congestion_alarms: self.congestion_alarms,
            })
            .init_resource::<Forecaster>()
            .add_systems(PostStartup, spawn_controls.after(crate::hud::spawn_hud))
            .add_systems(
                Update,
                (choose_horizon, collect_forecast, start_forecast)
                    .chain()
                    .before(TwinSet::Read),
            )
            .add_systems(
                Update,
                (update_controls, list_predicted_alarms).in_set(TwinSet::Read),
            );
    }
}

/// Starts a forecast when the last one is `every_s` old (or from the future, after a jump
/// back), unless one is running.
fn start_forecast(twin: Res<Twin>, settings: Res<Settings>, mut forecaster: ResMut<Forecaster>) {
    let now = twin.world.now_s();
    if forecaster
        .latest
        .as_ref()
        .is_some_and(|o| o.made_at_s > now)
    {
        forecaster.latest = None;
    }
    if forecaster.running.is_some()
        || !due(forecaster.last_started_s, &twin.world, settings.every_s)
    {
        return;
    }
    forecaster.last_started_s = Some(now);
    let n = settings.congestion_alarms;
    if settings.blocking {
        forecaster.latest = Some(outlook(&twin.world, HORIZON_S, n));
        return;
    }
    // the copy is made here, between steps; only the run ahead leaves the frame
    let fork = twin.world.fork();
    forecaster.running =
        Some(AsyncComputeTaskPool::get().spawn(async move { outlook(&fork, HORIZON_S, n) }));
}

fn collect_forecast(twin: Res<Twin>, mut forecaster: ResMut<Forecaster>) {
    let Some(task) = forecaster.running.as_mut() else {
        return;
    };
    if let Some(done) = check_ready(task) {
        forecaster.running = None;
        // a forecast from after a jump back is from a day that is no more
        if done.made_at_s <= twin.world.now_s() {
            forecaster.latest = Some(done);
        }
    }
}

/// Key H steps through the views; a click on a view's button picks it.
fn choose_horizon(
    keys: Res<ButtonInput<KeyCode>>,
    buttons: Query<(&Interaction, &HorizonButton), Changed<Interaction>>,
    mut horizon: ResMut<TrafficHorizon>,
) {
    if keys.just_pressed(KeyCode::KeyH) {
        let i = HORIZONS
            .iter()
            .position(|&m| m == horizon.minutes_ahead)
            .unwrap_or(0);
        horizon.minutes_ahead = HORIZONS[(i + 1) % HORIZONS.len()];
    }
    for (interaction, button) in &buttons {
        if *interaction == Interaction::Pressed && horizon.minutes_ahead != button.0 {
            horizon.minutes_ahead = button.0;
        }
    }
}

pub(crate) fn spawn_controls(
    mut commands: Commands,
    font: Res<HudFont>,
    palette: Res<Palette>,
    kpis: Query<Entity, With<KpiPanel>>,
    alarms: Query<Entity, With<AlarmPanel>>,
) {
    let (f, p) = (&*font, &*palette);
    for panel in &kpis {
        commands.entity(panel).with_children(|c| {
            c.spawn(Node {
                flex_direction: FlexDirection::Row,
                align_items: AlignItems::Center,
                column_gap: px(6),
                ..default()
            })
            .with_children(|row| {
                row.spawn(text(f, 16.0, p.text_dim, "Traffic (H)"));
                for minutes in HORIZONS {
                    let label = if minutes == 0 {
                        "now".to_string()
                    } else {
                        format!("+{minutes}")
                    };
                    row.spawn((
                        Button,
                        HorizonButton(minutes),
                        Node {
                            padding: UiRect::axes(px(8), px(2)),
                            ..default()
                        },
                        BackgroundColor(p.minor_road),
                    ))
                    .with_child(text(f, 16.0, p.text, label));
                }
            });
            c.spawn((text(f, 16.0, p.text_dim, ""), ForecastAge));
        });
    }
    for panel in &alarms {
        commands.entity(panel).with_children(|c| {
            c.spawn(text(f, 20.0, p.text, "AHEAD · forecast"));
            c.spawn((text(f, 17.0, p.text_dim, ""), PredictedAlarms));
        });
    }
}

fn update_controls(
    twin: Res<Twin>,
    palette: Res<Palette>,
    horizon: Res<TrafficHorizon>,
    forecaster: Res<Forecaster>,
    mut buttons: Query<(&HorizonButton, &mut BackgroundColor)>,
    mut age: Query<&mut Text, With<ForecastAge>>,
) {
    for (button, mut background) in &mut buttons {
        let wanted = if button.0 == horizon.minutes_ahead {
            palette.text_dim
        } else {
            palette.minor_road
        };
        if background.0 != wanted {
            background.0 = wanted;
        }
    }
    let now = twin.world.now_s();
    let value = match (&forecaster.latest, horizon.minutes_ahead) {
        (None, _) if forecaster.running.is_some() => "Forecasting the next hour…".to_string(),
        (None, _) => "No forecast yet".to_string(),
        (Some(o), 0) => format!(
            "Forecast from {} · {} min old",
            clock_text(o.made_at_s),
            o.age_s(now) / 60
        ),
        (Some(o), m) => format!(
            "Showing {} (forecast from {} · {} min old)",
            clock_text(o.made_at_s + m * 60),
            clock_text(o.made_at_s),
            o.age_s(now) / 60
        ),
    };
    for mut text in &mut age {
        if text.0 != value {
            text.0 = value.clone();
        }
    }
}

/// The alarms the latest forecast expects that are not open now, soonest first, one line
/// per road or fence: `≈08:25 (+20 min) 人民北路 · congestion`.
fn list_predicted_alarms(
    twin: Res<Twin>,
    forecaster: Res<Forecaster>,
    feed: Res<CongestionAlarms>,
    mut listed_for: Local<Option<(Option<u32>, u32)>>,
    mut texts: Query<&mut Text, With<PredictedAlarms>>,
) {
    let now = twin.world.now_s();
    // alarms are expected on whole minutes: the list changes with the minute, the forecast
    // or the open alarms only
    let key = (forecaster.latest.as_ref().map(|o| o.made_at_s), now / 60);
    if *listed_for == Some(key) && !feed.is_changed() {
        return;
    }
    *listed_for = Some(key);
    let value = match &forecaster.latest {
        None => String::new(),
        Some(o) => {
            let lines = predicted_lines(&twin, o, &feed.active_roads, now);
            if lines.is_empty() {
                "none expected in the next hour".to_string()
            } else {
                lines.join("\n")
            }
        }
    };
    for mut text in &mut texts {
        if text.0 != value {
            text.0 = value.clone();
        }
    }
}

fn predicted_lines(twin: &Twin, o: &Outlook, open_roads: &[String], now: u32) -> Vec<String> {
    let roads = twin.city.roads();
    let mut seen: Vec<String> = open_roads.to_vec();
    let mut lines = Vec::new();
    for alarm in o.alarms.iter().filter(|a| a.at_s > now) {
        let (label, what) = match &alarm.what {
            AlarmAhead::Congestion { link, .. } => {
                (roads.links[link.index()].label(), "congestion")
            }
            // empty fences are many and routine (the panel counts them); overflow and bikes
            // left outside a watched fence block pavements and are what a crew is sent for
            AlarmAhead::Bikes { fence, kind } => {
                let what = match kind {
                    AlarmKind::Overflow => "bikes overflow",
                    AlarmKind::IllegalParking => "bikes outside fence",
                    _ => continue,
                };
                let name = twin
                    .world
                    .fence_name(*fence)
                    .map_or_else(|| format!("fence {}", fence.index()), str::to_string);
                (name, what)
            }
        };
        if seen.contains(&label) {
            continue;
        }
        lines.push(format!(
            "≈{} (+{} min)  {} · {what}",
            clock_text(alarm.at_s),
            (alarm.at_s - now).div_ceil(60),
            crate::hud::elide(&label, crate::hud::PLACE_COLUMNS)
        ));
        seen.push(label);
        if lines.len() == PREDICTED_LINES {
            break;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::grid_twin;
    use bevy::tasks::TaskPool;

    /// The forecaster alone, without a window or renderer, on a grid morning at 07:10.
    fn app(blocking: bool) -> App {
        AsyncComputeTaskPool::get_or_init(TaskPool::new);
        let mut app = App::new();
        let mut twin = grid_twin(600);
        twin.world.advance_to(7 * 3600 + 600);
        app.add_plugins(MinimalPlugins)
            .init_resource::<ButtonInput<KeyCode>>()
            .insert_resource(Palette::new(crate::Theme::Wall))
            .init_resource::<HudFont>()
            .init_resource::<CongestionAlarms>()
            .insert_resource(twin)
            .add_plugins(ForecastPlugin {
                every_s: 300,
                minutes_ahead: 0,
                blocking,
                congestion_alarms: 10,
            });
        app
    }

    fn forecaster(app: &App) -> &Forecaster {
        app.world().resource::<Forecaster>()
    }

    #[test]
    fn the_forecast_is_made_in_the_background_and_collected_when_done() {
        let mut app = app(false);
        app.update();
        // the frame came back before the hour ahead was run
        assert!(forecaster(&app).running.is_some());
        assert!(forecaster(&app).latest.is_none());
        let mut frames = 0;
        while forecaster(&app).latest.is_none() {
            assert!(frames < 100_000, "the forecast never finished");
            std::thread::sleep(std::time::Duration::from_millis(1));
            app.update();
            frames += 1;
        }
        let made = forecaster(&app).latest.clone().unwrap();
        assert_eq!(made.made_at_s, 7 * 3600 + 600);
        // exactly what the World will do: the same fork, run on the frame's thread
        let twin = app.world().resource::<Twin>();
        assert_eq!(made, outlook(&twin.world, HORIZON_S, 10));
        assert_eq!(made.steps.len(), 4);
    }

    #[test]
    fn a_new_forecast_follows_the_clock_and_a_jump_back_drops_one_from_the_future() {
        let mut app = app(true);
        // the forecast shown after a frame at `t` (a jump back replays the day from its start)
        let made_at = |app: &mut App, t: u32| {
            let world = &mut app.world_mut().resource_mut::<Twin>().into_inner().world;
            if t < world.now_s() {
                world.restart();
            }
            world.advance_to(t);
            app.update();
            forecaster(app).latest.as_ref().unwrap().made_at_s
        };
        assert_eq!(made_at(&mut app, 7 * 3600 + 600), 7 * 3600 + 600);
        // four minutes on: still the same forecast; five: a new one
        assert_eq!(made_at(&mut app, 7 * 3600 + 840), 7 * 3600 + 600);
        assert_eq!(made_at(&mut app, 7 * 3600 + 900), 7 * 3600 + 900);
        // back to 07:00: that forecast is of a day no longer running; a fresh one replaces it
        assert_eq!(made_at(&mut app, 7 * 3600), 7 * 3600);
    }

    #[test]
    fn key_h_steps_the_overlay_through_now_and_the_hour_ahead() {
        let mut app = app(true);
        let mut seen = Vec::new();
        for _ in 0..5 {
            app.world_mut()
                .resource_mut::<ButtonInput<KeyCode>>()
                .press(KeyCode::KeyH);
            app.update();
            app.world_mut()
                .resource_mut::<ButtonInput<KeyCode>>()
                .release(KeyCode::KeyH);
            app.world_mut()
                .resource_mut::<ButtonInput<KeyCode>>()
                .clear();
            seen.push(app.world().resource::<TrafficHorizon>().minutes_ahead);
        }
        assert_eq!(seen, [15, 30, 60, 0, 15]);
        let f = forecaster(&app);
        let at_15 = TrafficHorizon { minutes_ahead: 15 };
        assert_eq!(f.loads_at(at_15), f.latest.as_ref().unwrap().loads_at(15));
        assert!(f.loads_at(TrafficHorizon::default()).is_none());
    }
}
