//! Values that each thread serving connections (`app::http`) keeps its own of, so that a
//! request writes no memory another thread writes, with a registry through which every
//! thread's value is read (request counters summed for `/metrics`, sightings merged at flush).

use std::sync::{Arc, Mutex};

/// This thread's `T`, and every thread's.
pub struct PerThread<T> {
    /// This thread's value.
    own: Arc<T>,
    /// Every thread's value, this one's included.
    every: Arc<Mutex<Vec<Arc<T>>>>,
}

impl<T: Default> Default for PerThread<T> {
    fn default() -> Self {
        let own = Arc::<T>::default();
        Self { every: Arc::new(Mutex::new(vec![own.clone()])), own }
    }
}

impl<T: Default> PerThread<T> {
    /// A new value for another thread, registered with these.
    pub fn for_another_thread(&self) -> Self {
        let own = Arc::<T>::default();
        self.every.lock().expect("per-thread registry lock").push(own.clone());
        Self { own, every: self.every.clone() }
    }
}

impl<T> PerThread<T> {
    /// This thread's value.
    pub fn own(&self) -> &T {
        &self.own
    }

    /// Every thread's value, as registered now.
    pub fn every(&self) -> Vec<Arc<T>> {
        self.every.lock().expect("per-thread registry lock").clone()
    }
}
