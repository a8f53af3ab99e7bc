//! `--bench-frames N`: measures N frames after a warm-up and reports frame-time statistics
//! and what was on screen, then exits.

use crate::ViewerOutcome;
use crate::traffic::{TrafficGeometry, cars_drawn};
use bevy::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug)]
pub struct FrameBenchPlugin {
    pub frames: u32,
    pub outcome: Arc<Mutex<ViewerOutcome>>,
}

/// Frame times of a measured run.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameStats {
    pub frames: usize,
    pub mean_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    pub entities: u32,
    /// Cars drawn in the last frame.
    pub cars: usize,
    /// Simulated seconds advanced while measuring.
    pub simulated_s: u32,
}

impl FrameStats {
    pub fn from_frames(times: &[Duration]) -> FrameStats {
        let mut ms: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        let n = ms.len();
        let pick = |q: f64| {
            ms.get(((n as f64 * q).ceil() as usize).saturating_sub(1))
                .copied()
                .unwrap_or(0.0)
        };
        FrameStats {
            frames: n,
            mean_ms: if n > 0 {
                ms.iter().sum::<f64>() / n as f64
            } else {
                0.0
            },
            p95_ms: pick(0.95),
            max_ms: ms.last().copied().unwrap_or(0.0),
            entities: 0,
            cars: 0,
            simulated_s: 0,
        }
    }

    pub fn fps(&self) -> f64 {
        if self.mean_ms > 0.0 {
            1000.0 / self.mean_ms
        } else {
            0.0
        }
    }
}

impl std::fmt::Display for FrameStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} frames: mean {:.2} ms ({:.1} fps), p95 {:.2} ms, max {:.2} ms; {} entities, {} cars drawn, {} s simulated",
            self.frames,
            self.mean_ms,
            self.fps(),
            self.p95_ms,
            self.max_ms,
            self.entities,
            self.cars,
            self.simulated_s
        )
    }
}

/// Frames skipped before measuring: shader compilation and first uploads.
const WARM_UP_FRAMES: u32 = 30;

#[derive(Resource, Debug)]
struct Bench {
    frames: u32,
    seen: u32,
    times: Vec<Duration>,
    started_at_s: Option<u32>,
    outcome: Arc<Mutex<ViewerOutcome>>,
}

impl Plugin for FrameBenchPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Bench {
            frames: self.frames.max(1),
            seen: 0,
            times: Vec::new(),
            started_at_s: None,
            outcome: self.outcome.clone(),
        })
        .add_systems(Last, record_frame);
    }
}

fn record_frame(
    time: Res<Time<Real>>,
    mut bench: ResMut<Bench>,
    twin: Res<crate::Twin>,
    geometry: Res<TrafficGeometry>,
    entities: Query<Entity>,
    mut exit: MessageWriter<AppExit>,
) {
    bench.seen += 1;
    if bench.seen <= WARM_UP_FRAMES {
        return;
    }
    bench.started_at_s.get_or_insert(twin.world.now_s());
    bench.times.push(time.delta());
    if bench.times.len() as u32 >= bench.frames {
        let mut stats = FrameStats::from_frames(&bench.times);
        stats.entities = entities.iter().count() as u32;
        stats.cars = cars_drawn(&geometry);
        stats.simulated_s = twin.world.now_s() - bench.started_at_s.unwrap_or(0);
        if let Ok(mut o) = bench.outcome.lock() {
            o.frame_stats = Some(stats);
        }
        exit.write(AppExit::Success);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_of_known_frames() {
        let times: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = FrameStats::from_frames(&times);
        assert_eq!(s.frames, 100);
        assert!((s.mean_ms - 50.5).abs() < 1e-9);
        assert!((s.p95_ms - 95.0).abs() < 1e-9);
        assert!((s.max_ms - 100.0).abs() < 1e-9);
        assert!((s.fps() - 1000.0 / 50.5).abs() < 1e-9);
    }
}
