//! Road traffic for citytwin.
//!
//! - [`assign`]: static user-equilibrium assignment for planners, checked against the
//!   best-known solutions of the TNTP test networks ([`tntp`]).
//! - the dynamic mesoscopic queue model that the World steps (coming with the rest of issue 3).

pub mod assign;
pub mod demand;
pub mod dynamic;
pub mod sumo;
pub mod tntp;
