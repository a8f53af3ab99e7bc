//! GIS layers: named collections of features with geometry and attributes.

use crate::ids::FeatureId;
use geo::{BoundingRect, Geometry, Rect};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An attribute value as GIS formats know them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AttrValue {
    Int(i64),
    Real(f64),
    Text(String),
}

impl AttrValue {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            AttrValue::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn kind(&self) -> FieldKind {
        match self {
            AttrValue::Int(_) => FieldKind::Int,
            AttrValue::Real(_) => FieldKind::Real,
            AttrValue::Text(_) => FieldKind::Text,
        }
    }
}

impl std::fmt::Display for AttrValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttrValue::Int(v) => write!(f, "{v}"),
            AttrValue::Real(v) => write!(f, "{v}"),
            AttrValue::Text(v) => f.write_str(v),
        }
    }
}

/// The type of a layer's field, as declared in its schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldKind {
    Int,
    Real,
    Text,
}

/// One field of a layer's schema.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    pub name: String,
    pub kind: FieldKind,
}

/// A feature: geometry in the city CRS (metres), the id it had in its source, and attributes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    /// Where it came from: `w123` / `r45` / `n67` for OSM, the feature id (FID) for other sources.
    pub source_id: String,
    pub geometry: Geometry<f64>,
    pub attrs: BTreeMap<String, AttrValue>,
}

impl Feature {
    pub fn attr(&self, key: &str) -> Option<&AttrValue> {
        self.attrs.get(key)
    }

    pub fn text(&self, key: &str) -> Option<&str> {
        self.attrs.get(key).and_then(AttrValue::as_text)
    }
}

/// A named layer. Schema order is the order fields are exported in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    pub name: String,
    pub fields: Vec<FieldDef>,
    pub features: Vec<Feature>,
}

impl Layer {
    pub fn new(name: impl Into<String>, fields: Vec<FieldDef>) -> Self {
        Self {
            name: name.into(),
            fields,
            features: Vec::new(),
        }
    }

    pub fn feature(&self, id: FeatureId) -> Option<&Feature> {
        self.features.get(id.index())
    }

    pub fn ids(&self) -> impl Iterator<Item = FeatureId> + '_ {
        (0..self.features.len()).map(FeatureId::from_index)
    }

    pub fn len(&self) -> usize {
        self.features.len()
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The bounding box of all features, `None` for an empty layer.
    pub fn extent(&self) -> Option<Rect<f64>> {
        self.features
            .iter()
            .filter_map(|f| f.geometry.bounding_rect())
            .reduce(union_rect)
    }
}

/// The smallest rectangle holding both.
pub fn union_rect(a: Rect<f64>, b: Rect<f64>) -> Rect<f64> {
    Rect::new(
        (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
        (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
    )
}

/// Names of the layers every import produces (possibly empty).
pub mod names {
    pub const BUILDINGS: &str = "buildings";
    pub const LANDUSE: &str = "landuse";
    pub const WATER: &str = "water";
    pub const POIS: &str = "pois";
    pub const DISTRICTS: &str = "districts";
    /// The layers an OSM import always fills, in export order.
    pub const OSM_LAYERS: [&str; 5] = [BUILDINGS, LANDUSE, WATER, POIS, DISTRICTS];
}
