//! What every overlay plugin shares: batched meshes coloured per vertex, and a key that shows
//! or hides all of an overlay's parts.

use crate::geometry::MeshBuffers;
use crate::map::VertexColorMaterial;
use bevy::ecs::component::Mutable;
use bevy::prelude::*;
use std::marker::PhantomData;

/// An overlay's on/off state and the key that flips it.
pub trait OverlaySwitch: Resource + Component<Mutability = Mutable> {
    const KEY: KeyCode;
    fn visible(&self) -> bool;
    fn set_visible(&mut self, visible: bool);
}

/// Marks an entity drawn by the overlay `O`.
#[derive(Component, Debug)]
pub struct OverlayPart<O>(PhantomData<O>);

impl<O> Default for OverlayPart<O> {
    fn default() -> Self {
        OverlayPart(PhantomData)
    }
}

pub fn visibility(visible: bool) -> Visibility {
    if visible {
        Visibility::Inherited
    } else {
        Visibility::Hidden
    }
}

/// One batched mesh of overlay `O` at depth `z`.
pub fn overlay_mesh<O: OverlaySwitch>(
    meshes: &mut Assets<Mesh>,
    material: &VertexColorMaterial,
    buffers: MeshBuffers,
    z: f32,
    visible: bool,
) -> impl Bundle {
    (
        Mesh2d(meshes.add(buffers.into_mesh())),
        MeshMaterial2d(material.0.clone()),
        Transform::from_xyz(0.0, 0.0, z),
        visibility(visible),
        OverlayPart::<O>::default(),
    )
}

/// Shows or hides every part of overlay `O` when its key is pressed.
pub fn toggle_overlay<O: OverlaySwitch>(
    keys: Res<ButtonInput<KeyCode>>,
    mut overlay: ResMut<O>,
    mut parts: Query<&mut Visibility, With<OverlayPart<O>>>,
) {
    if keys.just_pressed(O::KEY) {
        let visible = !overlay.visible();
        overlay.set_visible(visible);
        for mut v in &mut parts {
            *v = visibility(visible);
        }
    }
}

/// Gives every entity's mesh these vertex colours (one per vertex, in mesh order).
pub fn recolour_meshes<'a>(
    meshes: &mut Assets<Mesh>,
    handles: impl IntoIterator<Item = &'a Mesh2d>,
    colors: Vec<[f32; 4]>,
) {
    for handle in handles {
        if let Some(mut m) = meshes.get_mut(&handle.0) {
            m.insert_attribute(Mesh::ATTRIBUTE_COLOR, colors.clone());
        }
    }
}

/// Puts `mesh` in place of the mesh of every entity given.
pub fn replace_meshes<'a>(
    meshes: &mut Assets<Mesh>,
    handles: impl IntoIterator<Item = &'a Mesh2d>,
    mesh: Mesh,
) {
    for handle in handles {
        if let Some(mut m) = meshes.get_mut(&handle.0) {
            *m = mesh.clone();
        }
    }
}
