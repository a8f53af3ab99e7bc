//! Coordinate reference systems: the city's metric CRS and reprojection into it with PROJ.

use crate::error::{GisError, Result};
use citytwin_city::Crs;
use geo::{Coord, Geometry, MapCoords, Rect};
use proj::Proj;
use std::path::Path;

/// The EPSG code of the WGS84 UTM zone holding a lon/lat point (326xx north, 327xx south).
///
/// ```
/// assert_eq!(citytwin_gis::crs::utm_epsg(104.06, 30.67), 32648);
/// assert_eq!(citytwin_gis::crs::utm_epsg(-43.2, -22.9), 32723);
/// ```
pub fn utm_epsg(lon: f64, lat: f64) -> u32 {
    let zone = (((lon + 180.0) / 6.0).floor() as i64).clamp(0, 59) as u32 + 1;
    if lat >= 0.0 {
        32600 + zone
    } else {
        32700 + zone
    }
}

/// Checks that a CRS is written in one of the forms PROJ reads exactly: `AUTHORITY:CODE`
/// (`EPSG:32648`, `ESRI:102100`, `OGC:CRS84`), an OGC URN or URL, WKT (1 or 2), PROJJSON or a
/// `+proj=` string.
///
/// PROJ also accepts a bare name and matches it loosely against its database: `FOO` becomes
/// the Dutch Amersfoort datum and `WGS 84` one of several, so a typo would silently place a
/// layer hundreds of metres, or continents, away.
///
/// ```
/// use citytwin_gis::crs::check_crs_form;
/// assert!(check_crs_form("EPSG:4326").is_ok());
/// assert!(check_crs_form("+proj=utm +zone=48 +datum=WGS84").is_ok());
/// assert!(check_crs_form("FOO").is_err());
/// ```
pub fn check_crs_form(id: &str) -> Result<()> {
    let text = id.trim();
    let is_code = |s: &str| {
        s.split_once(':').is_some_and(|(auth, code)| {
            auth.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && auth.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !code.is_empty()
                && code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        })
    };
    let is_wkt = text.split_once(['[', '(']).is_some_and(|(keyword, _)| {
        let keyword = keyword.trim_end();
        !keyword.is_empty()
            && keyword
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    });
    let lower = text.to_ascii_lowercase();
    let known = is_code(text)
        || lower.starts_with("urn:ogc:def:crs:")
        || lower.starts_with("http://www.opengis.net/def/crs/")
        || lower.starts_with("https://www.opengis.net/def/crs/")
        || is_wkt
        || text.starts_with('{')
        || lower.starts_with("+proj=");
    if known {
        Ok(())
    } else {
        Err(GisError::BadCrs {
            crs: id.to_string(),
            reason: "not written as AUTHORITY:CODE, an OGC URN, WKT, PROJJSON or a +proj= string"
                .into(),
        })
    }
}

/// Describes a CRS for the bundle: its id and WKT, checked to be projected and metric.
pub fn city_crs(id: &str) -> Result<Crs> {
    check_crs_form(id)?;
    crate::route_gdal_messages();
    let bad = |reason: String| GisError::BadCrs {
        crs: id.to_string(),
        reason,
    };
    let srs = gdal::spatial_ref::SpatialRef::from_definition(id).map_err(|e| bad(e.to_string()))?;
    if !srs.is_projected() || (srs.linear_units() - 1.0).abs() > 1e-9 {
        return Err(GisError::NotMetric {
            crs: id.to_string(),
        });
    }
    Ok(Crs {
        id: id.to_string(),
        wkt: srs.to_wkt().map_err(|e| bad(e.to_string()))?,
    })
}

/// Reprojects coordinates from one CRS to another, always in (x = east, y = north) order.
#[derive(Debug)]
pub struct Reprojector {
    proj: Proj,
    from: String,
}

impl Reprojector {
    pub fn new(from: &str, to: &str) -> Result<Reprojector> {
        check_crs_form(from)?;
        check_crs_form(to)?;
        quiet_proj_log();
        let proj = Proj::new_known_crs(from, to, None).map_err(|e| GisError::BadCrs {
            crs: format!("{from} → {to}"),
            reason: e.to_string(),
        })?;
        Ok(Reprojector {
            proj,
            from: from.to_string(),
        })
    }

    pub fn coord(&self, c: Coord<f64>) -> std::result::Result<Coord<f64>, String> {
        let (x, y) = self.proj.convert((c.x, c.y)).map_err(|e| e.to_string())?;
        if x.is_finite() && y.is_finite() {
            Ok(Coord { x, y })
        } else {
            Err("result is not finite".into())
        }
    }

    /// A point from (x, y) in the source CRS (lon, lat for WGS84), or `None` where PROJ
    /// cannot take it.
    pub fn point(&self, x: f64, y: f64) -> Option<geo::Point<f64>> {
        self.coord(Coord { x, y }).ok().map(geo::Point::from)
    }

    /// Reprojects every coordinate; the error names the file and the first failing point.
    pub fn geometry(&self, g: &Geometry<f64>, path: &Path) -> Result<Geometry<f64>> {
        g.try_map_coords(|c| {
            self.coord(c).map_err(|reason| GisError::Reproject {
                path: path.to_path_buf(),
                from: self.from.clone(),
                x: c.x,
                y: c.y,
                reason,
            })
        })
    }

    /// A rectangle's corners and edge midpoints, reprojected, and their bounding box.
    pub fn rect(&self, r: Rect<f64>) -> std::result::Result<Rect<f64>, String> {
        let (x0, y0, x1, y1) = (r.min().x, r.min().y, r.max().x, r.max().y);
        let (xm, ym) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let pts = [
            (x0, y0),
            (xm, y0),
            (x1, y0),
            (x1, ym),
            (x1, y1),
            (xm, y1),
            (x0, y1),
            (x0, ym),
        ]
        .map(|(x, y)| self.coord(Coord { x, y }));
        let mut out: Option<Rect<f64>> = None;
        for p in pts {
            let p = p?;
            let pr = Rect::new(p, p);
            out = Some(out.map_or(pr, |o| citytwin_city::layer::union_rect(o, pr)));
        }
        out.ok_or_else(|| "empty rectangle".to_string())
    }
}

/// Silences PROJ's own messages on stderr ("proj_create: crs not found"): every failure
/// already comes back to us as an error, which names the file and the CRS.
fn quiet_proj_log() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: a null context is PROJ's default context, from which every later context is
    // copied; this runs once, before any context of ours exists.
    ONCE.call_once(|| unsafe {
        proj_sys::proj_log_level(std::ptr::null_mut(), proj_sys::PJ_LOG_LEVEL_PJ_LOG_NONE);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known lon/lat → UTM 48N pairs, from PROJ's `cs2cs EPSG:4326 EPSG:32648` (as in DESIGN.md).
    #[test]
    fn known_points_to_utm_within_a_millimetre() {
        let r = Reprojector::new("EPSG:4326", "EPSG:32648").unwrap();
        let cases = [((104.06, 30.67), (409_952.414, 3_393_407.387))];
        for ((lon, lat), (x, y)) in cases {
            let c = r.coord(Coord { x: lon, y: lat }).unwrap();
            assert!((c.x - x).abs() < 1e-3, "x {} vs {x}", c.x);
            assert!((c.y - y).abs() < 1e-3, "y {} vs {y}", c.y);
        }
        // the central meridian of zone 48 (105 E) on the equator is the false easting
        let c = r.coord(Coord { x: 105.0, y: 0.0 }).unwrap();
        assert!((c.x - 500_000.0).abs() < 1e-3 && c.y.abs() < 1e-3);
    }

    #[test]
    fn round_trip_is_exact_to_a_millimetre() {
        let there = Reprojector::new("EPSG:4326", "EPSG:32648").unwrap();
        let back = Reprojector::new("EPSG:32648", "EPSG:4326").unwrap();
        let p = Coord {
            x: 104.0812,
            y: 30.6611,
        };
        let q = back.coord(there.coord(p).unwrap()).unwrap();
        assert!((p.x - q.x).abs() < 1e-8 && (p.y - q.y).abs() < 1e-8);
    }

    #[test]
    fn city_crs_must_be_metric() {
        assert!(city_crs("EPSG:32648").is_ok());
        assert!(matches!(
            city_crs("EPSG:4326"),
            Err(GisError::NotMetric { .. })
        ));
        assert!(matches!(
            city_crs("EPSG:999999"),
            Err(GisError::BadCrs { .. })
        ));
    }

    #[test]
    fn crs_written_loosely_is_refused_before_proj_guesses() {
        for ok in [
            "EPSG:32648",
            "ESRI:102100",
            "OGC:CRS84",
            "urn:ogc:def:crs:EPSG::4326",
            "+proj=longlat +datum=WGS84",
            r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]]]"#,
            "{\"type\": \"GeographicCRS\"}",
        ] {
            assert!(check_crs_form(ok).is_ok(), "{ok}");
        }
        for bad in [
            "FOO",
            "WGS 84",
            "Amersfoort",
            "",
            "EPSG:",
            "4326",
            "epsg 4326",
        ] {
            assert!(
                matches!(check_crs_form(bad), Err(GisError::BadCrs { .. })),
                "{bad}"
            );
        }
        assert!(Reprojector::new("FOO", "EPSG:32648").is_err());
    }
}
