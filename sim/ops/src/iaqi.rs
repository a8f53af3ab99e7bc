//! China's air quality index, HJ 633-2012 (环境空气质量指数（AQI）技术规定).
//!
//! Each pollutant's individual index (IAQI) interpolates linearly between the standard's
//! breakpoints (its Table 1): `IAQI = (IAQI_hi − IAQI_lo) / (BP_hi − BP_lo) × (C − BP_lo) +
//! IAQI_lo`, rounded up to a whole number as the standard requires. The AQI is the largest
//! IAQI; above 50, the pollutants that reach it are the primary pollutants.
//!
//! The hourly (real-time) AQI uses the 1-hour breakpoints of SO2, NO2, CO and O3 and, since
//! PM2.5 and PM10 have no 1-hour breakpoints, their 24-hour moving averages against the
//! 24-hour ones. A 1-hour SO2 above 800 µg/m³ is indexed on its 24-hour breakpoints and a
//! 1-hour O3 past the table's end is 500, as the table's notes say.

use serde::Serialize;

/// The IAQI at each breakpoint column.
const IAQI: [f64; 8] = [0.0, 50.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0];

/// Concentration breakpoints (µg/m³; CO in mg/m³), HJ 633-2012 Table 1.
pub const SO2_24H: [f64; 8] = [0.0, 50.0, 150.0, 475.0, 800.0, 1600.0, 2100.0, 2620.0];
pub const SO2_1H: [f64; 5] = [0.0, 150.0, 500.0, 650.0, 800.0];
pub const NO2_24H: [f64; 8] = [0.0, 40.0, 80.0, 180.0, 280.0, 565.0, 750.0, 940.0];
pub const NO2_1H: [f64; 8] = [0.0, 100.0, 200.0, 700.0, 1200.0, 2340.0, 3090.0, 3840.0];
pub const PM10_24H: [f64; 8] = [0.0, 50.0, 150.0, 250.0, 350.0, 420.0, 500.0, 600.0];
pub const CO_24H: [f64; 8] = [0.0, 2.0, 4.0, 14.0, 24.0, 36.0, 48.0, 60.0];
pub const CO_1H: [f64; 8] = [0.0, 5.0, 10.0, 35.0, 60.0, 90.0, 120.0, 150.0];
pub const O3_1H: [f64; 8] = [0.0, 160.0, 200.0, 300.0, 400.0, 800.0, 1000.0, 1200.0];
pub const O3_8H: [f64; 6] = [0.0, 100.0, 160.0, 215.0, 265.0, 800.0];
pub const PM25_24H: [f64; 8] = [0.0, 35.0, 75.0, 115.0, 150.0, 250.0, 350.0, 500.0];

/// The IAQI of a concentration on a breakpoint row; `None` past the row's last breakpoint
/// (the standard then refers to another row or caps the index) or for a negative or missing
/// concentration.
pub fn iaqi(breakpoints: &[f64], c: f64) -> Option<u32> {
    if !c.is_finite() || c < 0.0 {
        return None;
    }
    let upper = breakpoints.iter().position(|&bp| c <= bp)?;
    if upper == 0 {
        return Some(0);
    }
    let (bp_lo, bp_hi) = (breakpoints[upper - 1], breakpoints[upper]);
    let (i_lo, i_hi) = (IAQI[upper - 1], IAQI[upper]);
    let value = (i_hi - i_lo) / (bp_hi - bp_lo) * (c - bp_lo) + i_lo;
    // rounding up, as the standard says; the small tolerance keeps 50.000000001 at 50
    Some((value - 1e-9).ceil().max(0.0) as u32)
}

/// The pollutants the hourly AQI is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Pollutant {
    #[serde(rename = "PM2.5")]
    Pm25,
    #[serde(rename = "PM10")]
    Pm10,
    #[serde(rename = "SO2")]
    So2,
    #[serde(rename = "NO2")]
    No2,
    #[serde(rename = "CO")]
    Co,
    #[serde(rename = "O3")]
    O3,
}

/// One hour's concentrations at a station; `None` where the analyser gave nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HourlyConcentrations {
    /// 24-hour moving averages, µg/m³.
    pub pm25_24h: Option<f64>,
    pub pm10_24h: Option<f64>,
    /// 1-hour means, µg/m³ (CO mg/m³).
    pub so2_1h: Option<f64>,
    pub no2_1h: Option<f64>,
    pub co_1h: Option<f64>,
    pub o3_1h: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Aqi {
    pub aqi: u32,
    /// Empty when the AQI is 50 or less (the standard names none then).
    pub primary: Vec<Pollutant>,
}

impl HourlyConcentrations {
    /// Each pollutant with a reading and its IAQI.
    /// Each pollutant with a usable reading (a finite concentration ≥ 0) and its IAQI.
    pub fn iaqis(&self) -> Vec<(Pollutant, u32)> {
        // pollutant, concentration, its row, and the row past whose end the notes send it
        type Row<'a> = (Pollutant, Option<f64>, &'a [f64], &'a [f64]);
        let rows: [Row; 6] = [
            (Pollutant::Pm25, self.pm25_24h, &PM25_24H, &[]),
            (Pollutant::Pm10, self.pm10_24h, &PM10_24H, &[]),
            (Pollutant::So2, self.so2_1h, &SO2_1H, &SO2_24H),
            (Pollutant::No2, self.no2_1h, &NO2_1H, &[]),
            (Pollutant::Co, self.co_1h, &CO_1H, &[]),
            (Pollutant::O3, self.o3_1h, &O3_1H, &[]),
        ];
        rows.iter()
            .filter_map(|&(p, c, row, beyond)| {
                let c = c.filter(|c| c.is_finite() && *c >= 0.0)?;
                // past the last breakpoint of every applicable row the index is capped at 500
                let i = iaqi(row, c).or_else(|| iaqi(beyond, c)).unwrap_or(500);
                Some((p, i))
            })
            .collect()
    }

    /// The AQI, or `None` with no pollutant read at all.
    pub fn aqi(&self) -> Option<Aqi> {
        let iaqis = self.iaqis();
        let aqi = iaqis.iter().map(|(_, i)| *i).max()?;
        let primary = if aqi > 50 {
            iaqis
                .iter()
                .filter(|(_, i)| *i == aqi)
                .map(|(p, _)| *p)
                .collect()
        } else {
            Vec::new()
        };
        Some(Aqi { aqi, primary })
    }
}

/// The standard's six categories (空气质量指数类别), by AQI.
pub fn category(aqi: u32) -> &'static str {
    match aqi {
        0..=50 => "优 excellent",
        51..=100 => "良 good",
        101..=150 => "轻度污染 lightly polluted",
        151..=200 => "中度污染 moderately polluted",
        201..=300 => "重度污染 heavily polluted",
        _ => "严重污染 severely polluted",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every breakpoint of Table 1 gives its column's IAQI exactly.
    #[test]
    fn each_breakpoint_of_the_table_gives_its_column() {
        for row in [
            &SO2_24H[..],
            &SO2_1H,
            &NO2_24H,
            &NO2_1H,
            &PM10_24H,
            &CO_24H,
            &CO_1H,
            &O3_1H,
            &O3_8H,
            &PM25_24H,
        ] {
            for (col, &bp) in row.iter().enumerate() {
                assert_eq!(iaqi(row, bp), Some(IAQI[col] as u32), "{row:?} at {bp}");
            }
            assert_eq!(iaqi(row, row[row.len() - 1] + 1.0), None);
        }
    }

    #[test]
    fn between_breakpoints_interpolates_and_rounds_up() {
        // PM2.5 24 h of 80: (150-100)/(115-75)*(80-75)+100 = 106.25 -> 107
        assert_eq!(iaqi(&PM25_24H, 80.0), Some(107));
        // PM10 of 100: 50/100*50+50 = 75
        assert_eq!(iaqi(&PM10_24H, 100.0), Some(75));
        // CO 1 h of 7.3 mg/m3: 50/5*2.3+50 = 73
        assert_eq!(iaqi(&CO_1H, 7.3), Some(73));
        // NO2 1 h of 1: 0.5 -> 1
        assert_eq!(iaqi(&NO2_1H, 1.0), Some(1));
        assert_eq!(iaqi(&PM25_24H, -3.0), None);
        assert_eq!(iaqi(&PM25_24H, f64::NAN), None);
    }

    #[test]
    fn aqi_is_the_largest_iaqi_and_names_primary_pollutants_above_50() {
        let hour = HourlyConcentrations {
            pm25_24h: Some(80.0),
            pm10_24h: Some(100.0),
            so2_1h: Some(10.0),
            no2_1h: Some(60.0),
            co_1h: Some(1.2),
            o3_1h: Some(90.0),
        };
        let aqi = hour.aqi().expect("readings");
        assert_eq!(aqi.aqi, 107);
        assert_eq!(aqi.primary, vec![Pollutant::Pm25]);
        assert_eq!(category(aqi.aqi), "轻度污染 lightly polluted");

        let clean = HourlyConcentrations {
            pm25_24h: Some(10.0),
            o3_1h: Some(40.0),
            ..Default::default()
        };
        assert!(clean.aqi().expect("readings").primary.is_empty());
        assert_eq!(HourlyConcentrations::default().aqi(), None);
        let broken = HourlyConcentrations {
            pm25_24h: Some(-5.0),
            no2_1h: Some(f64::NAN),
            ..Default::default()
        };
        assert_eq!(
            broken.aqi(),
            None,
            "an impossible reading is no reading, not 500"
        );
    }

    #[test]
    fn beyond_the_one_hour_rows_the_notes_apply() {
        // SO2 1 h above 800 is indexed on the 24 h row: 1000 -> (300-200)/800*200+200 = 225
        let so2 = HourlyConcentrations {
            so2_1h: Some(1000.0),
            ..Default::default()
        };
        assert_eq!(so2.aqi().map(|a| a.aqi), Some(225));
        let pm = HourlyConcentrations {
            pm25_24h: Some(900.0),
            ..Default::default()
        };
        assert_eq!(pm.aqi().map(|a| a.aqi), Some(500));
    }
}
