//! What sensors measure: SensorThings `ObservedProperty` and `unitOfMeasurement` together,
//! with the physically possible range that data-quality validity checks against.
//!
//! The built-in quantities cover the loop detector, the bike counter and the air-quality
//! station; [`Quantity::Other`] describes any other numeric reading in data alone, so a new
//! sensor category needs no code.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Quantity {
    /// Vehicles passing per hour (loop detector).
    TrafficFlow,
    /// Space-mean speed (loop detector), km/h.
    TrafficSpeed,
    /// Share of time the loop is occupied, percent.
    Occupancy,
    /// Bikes parked in a fence (bike counter at a monitoring point).
    BikesParked,
    Pm25,
    Pm10,
    /// 24-hour moving averages, as Chinese stations publish them beside the hourly means
    /// (the AQI indexes PM on these).
    Pm25Day,
    Pm10Day,
    So2,
    No2,
    /// Carbon monoxide, mg/m³ (the other pollutants are µg/m³, as HJ 633-2012 has them).
    Co,
    O3,
    /// Any other numeric reading.
    Other {
        name: String,
        /// Unit symbol, e.g. "dB(A)".
        unit: String,
        min: f64,
        max: f64,
    },
}

/// SensorThings `unitOfMeasurement`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unit {
    pub name: &'static str,
    pub symbol: &'static str,
    /// UCUM code.
    pub definition: &'static str,
}

const MICROGRAMS: Unit = Unit {
    name: "microgram per cubic metre",
    symbol: "µg/m³",
    definition: "ug/m3",
};

impl Quantity {
    /// The observed property's name, also its key in topics, CSV headers and summaries.
    pub fn key(&self) -> &str {
        match self {
            Quantity::TrafficFlow => "flow",
            Quantity::TrafficSpeed => "speed",
            Quantity::Occupancy => "occupancy",
            Quantity::BikesParked => "bikes_parked",
            Quantity::Pm25 => "pm25",
            Quantity::Pm10 => "pm10",
            Quantity::Pm25Day => "pm25_24h",
            Quantity::Pm10Day => "pm10_24h",
            Quantity::So2 => "so2",
            Quantity::No2 => "no2",
            Quantity::Co => "co",
            Quantity::O3 => "o3",
            Quantity::Other { name, .. } => name,
        }
    }

    pub fn unit_symbol(&self) -> &str {
        match self {
            Quantity::Other { unit, .. } => unit,
            q => q.unit().map_or("", |u| u.symbol),
        }
    }

    /// The unit of a built-in quantity.
    pub fn unit(&self) -> Option<Unit> {
        Some(match self {
            Quantity::TrafficFlow => Unit {
                name: "vehicles per hour",
                symbol: "veh/h",
                definition: "{vehicle}/h",
            },
            Quantity::TrafficSpeed => Unit {
                name: "kilometre per hour",
                symbol: "km/h",
                definition: "km/h",
            },
            Quantity::Occupancy => Unit {
                name: "percent",
                symbol: "%",
                definition: "%",
            },
            Quantity::BikesParked => Unit {
                name: "bicycles",
                symbol: "bikes",
                definition: "{bicycle}",
            },
            Quantity::Co => Unit {
                name: "milligram per cubic metre",
                symbol: "mg/m³",
                definition: "mg/m3",
            },
            Quantity::Pm25
            | Quantity::Pm10
            | Quantity::Pm25Day
            | Quantity::Pm10Day
            | Quantity::So2
            | Quantity::No2
            | Quantity::O3 => MICROGRAMS,
            Quantity::Other { .. } => return None,
        })
    }

    /// Readings outside this range are physically impossible (a broken sensor), not extreme.
    pub fn valid_range(&self) -> (f64, f64) {
        match self {
            Quantity::TrafficFlow => (0.0, 4_000.0),
            Quantity::TrafficSpeed => (0.0, 200.0),
            Quantity::Occupancy => (0.0, 100.0),
            Quantity::BikesParked => (0.0, 10_000.0),
            // the highest hourly PM values recorded in Chinese cities are near 1,000 µg/m³
            Quantity::Pm25 | Quantity::Pm10 | Quantity::Pm25Day | Quantity::Pm10Day => {
                (0.0, 2_000.0)
            }
            Quantity::So2 | Quantity::No2 | Quantity::O3 => (0.0, 3_000.0),
            Quantity::Co => (0.0, 150.0),
            Quantity::Other { min, max, .. } => (*min, *max),
        }
    }

    pub fn is_valid(&self, value: f64) -> bool {
        let (lo, hi) = self.valid_range();
        value.is_finite() && (lo..=hi).contains(&value)
    }

    /// A built-in quantity by its key.
    pub fn from_key(key: &str) -> Option<Quantity> {
        Some(match key {
            "flow" => Quantity::TrafficFlow,
            "speed" => Quantity::TrafficSpeed,
            "occupancy" => Quantity::Occupancy,
            "bikes_parked" => Quantity::BikesParked,
            "pm25" => Quantity::Pm25,
            "pm10" => Quantity::Pm10,
            "pm25_24h" => Quantity::Pm25Day,
            "pm10_24h" => Quantity::Pm10Day,
            "so2" => Quantity::So2,
            "no2" => Quantity::No2,
            "co" => Quantity::Co,
            "o3" => Quantity::O3,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_ranges_reject_the_impossible() {
        for q in [Quantity::TrafficFlow, Quantity::Pm25, Quantity::Co] {
            assert_eq!(Quantity::from_key(q.key()), Some(q.clone()));
        }
        assert!(Quantity::Pm25.is_valid(35.0));
        assert!(!Quantity::Pm25.is_valid(-1.0));
        assert!(!Quantity::Occupancy.is_valid(f64::NAN));
        let noise = Quantity::Other {
            name: "noise".into(),
            unit: "dB(A)".into(),
            min: 20.0,
            max: 140.0,
        };
        assert_eq!(noise.key(), "noise");
        assert_eq!(noise.unit_symbol(), "dB(A)");
        assert!(!noise.is_valid(10.0));
    }
}
