//! The badge a unit puts on its pages: the install snippet (and, later, the script, image and
//! verification data it points to).

pub mod snippet;
