//! The badge a unit puts on its pages: the install snippet, the per-code script and image, the
//! in-memory snapshot of public badge data they are served from, the public details the
//! verification page shows, and the sightings of badges on hosts.

pub mod assets;
pub mod details;
pub mod red_page;
pub mod sightings;
pub mod snapshot;
pub mod snippet;
