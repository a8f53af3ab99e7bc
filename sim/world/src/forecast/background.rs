//! A forecaster on a thread of its own, for runs that have no app's task pool (live runs):
//! every `every_s` simulated seconds it forks the World and runs the copy ahead while the
//! run goes on; one forecast at a time, a due one waits for the last to finish.

use super::{Forecast, run_ahead};
use crate::World;
use std::thread::JoinHandle;

/// A forecast's thread panicked (a bug: reported, and the next forecast is made as usual).
#[derive(Debug, thiserror::Error)]
#[error("the forecast from {from_s} s stopped with a panic")]
pub struct ForecastFailed {
    pub from_s: u32,
}

#[derive(Debug)]
pub struct BackgroundForecaster {
    every_s: u32,
    horizon_s: u32,
    last_started_s: Option<u32>,
    running: Option<(u32, JoinHandle<Forecast>)>,
}

impl BackgroundForecaster {
    pub fn new(every_s: u32, horizon_s: u32) -> BackgroundForecaster {
        BackgroundForecaster {
            every_s: every_s.max(1),
            horizon_s,
            last_started_s: None,
            running: None,
        }
    }

    /// A forecast that has finished since the last call, if any; then starts one from
    /// `world` when one is due and none is running.
    pub fn poll(&mut self, world: &World) -> Result<Option<Forecast>, ForecastFailed> {
        let done = match &self.running {
            Some((_, handle)) if handle.is_finished() => self.running.take().map(join),
            _ => None,
        };
        let now = world.now_s();
        if self.running.is_none() && due(self.last_started_s, world, self.every_s) {
            self.last_started_s = Some(now);
            let fork = world.fork();
            let horizon_s = self.horizon_s;
            let thread = std::thread::spawn(move || run_ahead(&fork, horizon_s));
            self.running = Some((now, thread));
        }
        done.transpose()
    }

    /// Waits for the forecast being made, if any.
    pub fn finish(mut self) -> Result<Option<Forecast>, ForecastFailed> {
        self.running.take().map(join).transpose()
    }
}

/// Whether a forecast from `world` is due: none made yet, the last `every_s` old or more, or
/// made later than now (the day was replayed from its start); never at the window's end.
pub fn due(last_started_s: Option<u32>, world: &World, every_s: u32) -> bool {
    let now = world.now_s();
    now < world.options.to_s && last_started_s.is_none_or(|t| now < t || now - t >= every_s)
}

fn join((from_s, handle): (u32, JoinHandle<Forecast>)) -> Result<Forecast, ForecastFailed> {
    handle.join().map_err(|_| ForecastFailed { from_s })
}

#[cfg(test)]
mod tests {
    use super::*;
    use citytwin_city::synthetic::GridCity;
    use citytwin_traffic::demand::synthetic::synthetic_day;

    #[test]
    fn forecasts_follow_the_clock_one_at_a_time_and_match_a_forecast_made_in_place() {
        let city = GridCity::default().build();
        let trips = synthetic_day(&city, 4_000, 1).unwrap();
        let mut world = World::new(city.roads(), trips, crate::WorldOptions::default()).unwrap();
        world.advance_to(7 * 3600);
        let expected = run_ahead(&world, 1800);
        let mut forecaster = BackgroundForecaster::new(300, 1800);
        assert!(forecaster.poll(&world).unwrap().is_none());
        let first = loop {
            world.advance_to(world.now_s() + 1);
            if let Some(f) = forecaster.poll(&world).unwrap() {
                break f;
            }
            assert!(world.now_s() < 12 * 3600, "no forecast came back");
        };
        assert_eq!(first.start, expected.start);
        assert_eq!(first.steps, expected.steps);
        // one at a time, each at least five simulated minutes after the last
        let mut starts = vec![first.start.at_s];
        while starts.len() < 4 {
            world.advance_to(world.now_s() + 1);
            if let Some(f) = forecaster.poll(&world).unwrap() {
                starts.push(f.start.at_s);
            }
        }
        assert!(starts.windows(2).all(|w| w[1] >= w[0] + 300), "{starts:?}");
        let last = forecaster.finish().unwrap();
        assert!(last.is_none_or(|f| f.start.at_s >= starts[3] + 300));
    }
}
