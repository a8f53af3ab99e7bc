//! Which travel modes may use a link.

use serde::{Deserialize, Serialize};
use std::ops::BitOr;

/// A set of travel modes (cars, bikes, pedestrians).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Modes(u8);

/// One travel mode, for routing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Mode {
    Car,
    Bike,
    Walk,
}

impl Modes {
    pub const NONE: Modes = Modes(0);
    pub const CAR: Modes = Modes(1);
    pub const BIKE: Modes = Modes(2);
    pub const WALK: Modes = Modes(4);

    pub fn contains(self, other: Modes) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn allows(self, mode: Mode) -> bool {
        self.contains(Modes::from(mode))
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn with(self, other: Modes, on: bool) -> Modes {
        if on {
            Modes(self.0 | other.0)
        } else {
            Modes(self.0 & !other.0)
        }
    }

    /// `car,bike,walk` style, for exports and summaries.
    pub fn describe(self) -> String {
        [
            (Modes::CAR, "car"),
            (Modes::BIKE, "bike"),
            (Modes::WALK, "walk"),
        ]
        .into_iter()
        .filter(|(m, _)| self.contains(*m))
        .map(|(_, name)| name)
        .collect::<Vec<_>>()
        .join(",")
    }
}

impl BitOr for Modes {
    type Output = Modes;
    fn bitor(self, rhs: Modes) -> Modes {
        Modes(self.0 | rhs.0)
    }
}

impl From<Mode> for Modes {
    fn from(mode: Mode) -> Modes {
        match mode {
            Mode::Car => Modes::CAR,
            Mode::Bike => Modes::BIKE,
            Mode::Walk => Modes::WALK,
        }
    }
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Car, Mode::Bike, Mode::Walk];

    /// Cruising speed of the mode itself, capping the link's speed limit (m/s).
    pub fn max_speed_mps(self) -> f64 {
        match self {
            Mode::Car => f64::INFINITY,
            Mode::Bike => 15.0 / 3.6,
            Mode::Walk => 5.0 / 3.6,
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "car" => Ok(Mode::Car),
            "bike" => Ok(Mode::Bike),
            "walk" => Ok(Mode::Walk),
            other => Err(format!(
                "unknown mode `{other}`, expected car, bike or walk"
            )),
        }
    }
}
