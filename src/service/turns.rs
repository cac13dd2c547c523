//! Turns for work that holds much memory while it runs (a download of the whole public list,
//! the read of a register file, an uploaded file held in memory): a few at a time, often one,
//! the others waiting a bounded time for theirs. A turn ends with its work, even when the
//! request that asked for it is gone.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A number of turns at a time (one by default); cloned, the same turns.
#[derive(Clone)]
pub struct Turns(Arc<Semaphore>);

impl Default for Turns {
    fn default() -> Self {
        Self::new(1)
    }
}

/// A turn taken: held until it is dropped, or until the work it runs ends.
pub struct Turn {
    _permit: OwnedSemaphorePermit,
}

impl Turns {
    /// `at_once` turns at a time (at least one).
    pub fn new(at_once: usize) -> Self {
        Self(Arc::new(Semaphore::new(at_once.max(1))))
    }

    /// Waits up to `wait` for the turn; `None` when it did not come in time.
    pub async fn take(&self, wait: Duration) -> Option<Turn> {
        match tokio::time::timeout(wait, self.0.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Some(Turn { _permit: permit }),
            // The semaphore is never closed; a closed one gives no turn either.
            Ok(Err(_)) | Err(_) => None,
        }
    }
}

impl Turn {
    /// Runs `work` on a blocking thread, off the runtime's workers; the turn ends when the work
    /// does. The error is the work's panic.
    pub async fn run_blocking<T: Send + 'static>(
        self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, tokio::task::JoinError> {
        tokio::task::spawn_blocking(move || {
            let done = work();
            drop(self);
            done
        })
        .await
    }
}
