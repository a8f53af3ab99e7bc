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

/// Describes a CRS for the bundle: its id and WKT, checked to be projected and metric.
pub fn city_crs(id: &str) -> Result<Crs> {
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
}
