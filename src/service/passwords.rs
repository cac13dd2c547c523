//! Password hashing on a few threads of its own, each reusing one Argon2 memory buffer.
//!
//! Argon2 is meant to be expensive: every hash takes its `m_cost` of memory (19 MiB with the
//! default parameters) and tens of milliseconds of a core. Run on the blocking pool, a flood of
//! logins made hundreds of threads each allocate and keep that much; here at most `threads`
//! hashes run at once, each thread keeps the one buffer it reuses, and only `queue` more may
//! wait. A login that finds the queue full is refused at once ([`Busy`]) instead of piling up.

use std::sync::{Arc, Mutex};

use argon2::password_hash::{rand_core::OsRng, Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{mpsc, oneshot};

/// The hashing queue is full: try again in a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password hashing is busy")]
pub struct Busy;

/// Why a new password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The hashing threads are gone (the service is shutting down).
    #[error("the password hashing threads stopped")]
    Stopped,
    /// Argon2 refused the input.
    #[error("argon2: {0}")]
    Argon2(#[from] argon2::Error),
    /// The stored hash is not a valid PHC string.
    #[error("password hash: {0}")]
    Phc(#[from] argon2::password_hash::Error),
    /// The stored hash asks for more memory than the pool's buffers hold.
    #[error("memory cost too high")]
    MemoryCost,
}

/// The largest Argon2 memory cost (in KiB blocks) a stored hash may ask for; a hash asking
/// more is treated as not matching rather than allocating it.
const MAX_MEMORY_BLOCKS: u32 = 64 * 1024;

enum Job {
    Hash { password: String, reply: oneshot::Sender<Result<String, HashError>> },
    Verify { password: String, hash: String, reply: oneshot::Sender<bool> },
}

/// The fewest waiting jobs the hashing queue of [`PasswordHasher::for_this_machine`] holds.
const MIN_WAITING: usize = 16;

/// A bounded pool of hashing threads.
#[derive(Clone)]
pub struct PasswordHasher {
    jobs: mpsc::Sender<Job>,
}

impl PasswordHasher {
    /// Starts `threads` hashing threads with room for `queue` waiting jobs.
    pub fn new(threads: usize, queue: usize) -> Self {
        let (jobs, receiver) = mpsc::channel(queue.max(1));
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads.max(1) {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("password-hash-{index}"))
                .spawn(move || worker(&receiver))
                .expect("spawn a password hashing thread");
        }
        Self { jobs }
    }

    /// One thread per core, and twice as many waiting, but room for at least
    /// `MIN_WAITING`: a burst of logins fills the queue before a thread has taken any job,
    /// and the few attempts an account's limit lets through at once must not be refused as
    /// busy (CI saw one of six parallel attempts refused on a two-core machine).
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self::new(cores, (cores * 2).max(MIN_WAITING))
    }

    /// Hashes a new password (PHC string), waiting for a place in the queue.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::Hash { password, reply }).await.map_err(|_| HashError::Stopped)?;
        answer.await.map_err(|_| HashError::Stopped)?
    }

    /// Verifies `password` against a stored PHC `hash`, or refuses at once when the queue is full.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, Busy> {
        let (reply, answer) = oneshot::channel();
        self.jobs.try_send(Job::Verify { password, hash, reply }).map_err(|_| Busy)?;
        Ok(answer.await.unwrap_or(false))
    }
}

fn worker(receiver: &Mutex<mpsc::Receiver<Job>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        // The lock is held only while waiting for the next job, not while hashing.
        let job = receiver.lock().map_or(None, |mut r| r.blocking_recv());
        match job {
            None => return,
            Some(Job::Hash { password, reply }) => {
                let _ = reply.send(hash_new(&password, &mut memory));
            }
            Some(Job::Verify { password, hash, reply }) => {
                let _ = reply.send(verify_stored(&password, &hash, &mut memory));
            }
        }
    }
}

fn blocks(memory: &mut Vec<Block>, params: &Params) -> Option<usize> {
    let needed = params.block_count();
    if needed > MAX_MEMORY_BLOCKS as usize {
        return None;
    }
    if memory.len() < needed {
        memory.resize(needed, Block::default());
    }
    Some(needed)
}

fn hash_new(password: &str, memory: &mut Vec<Block>) -> Result<String, HashError> {
    let params = Params::default();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt.decode_b64(&mut salt_bytes)?;
    let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    let count = blocks(memory, &params).ok_or(HashError::MemoryCost)?;
    argon.hash_password_into_with_memory(password.as_bytes(), salt_raw, &mut out, &mut memory[..count])?;
    let output = Output::new(&out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params).try_into()?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

fn verify_stored(password: &str, stored: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(phc) = PasswordHash::new(stored) else {
        tracing::error!("stored password hash unreadable");
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) =
        (Algorithm::try_from(phc.algorithm), Params::try_from(&phc), phc.salt, phc.hash)
    else {
        return false;
    };
    let version = phc.version.and_then(|v| Version::try_from(v).ok()).unwrap_or_default();
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_raw) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let Some(count) = blocks(memory, &params) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params);
    if argon.hash_password_into_with_memory(password.as_bytes(), salt_raw, &mut out, &mut memory[..count]).is_err() {
        return false;
    }
    // Output's equality is constant-time.
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

    #[tokio::test]
    async fn hashes_verify_both_ways_with_the_reference_implementation() {
        let hasher = PasswordHasher::new(1, 4);
        let ours = hasher.hash("Demo-2026-pass".into()).await.unwrap();
        assert!(hasher.verify("Demo-2026-pass".into(), ours.clone()).await.unwrap());
        assert!(!hasher.verify("demo-2026-pass".into(), ours.clone()).await.unwrap());
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"Demo-2026-pass", &parsed).is_ok());

        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon2::PasswordHasher::hash_password(&Argon2::default(), b"other", &salt).unwrap().to_string();
        assert!(hasher.verify("other".into(), theirs.clone()).await.unwrap());
        assert!(!hasher.verify("others".into(), theirs).await.unwrap());
        assert!(!hasher.verify("x".into(), "not a hash".into()).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let hasher = PasswordHasher::new(1, 1);
        let hash = hasher.hash("pw".into()).await.unwrap();
        let attempts: Vec<_> = (0..16).map(|_| hasher.verify("pw".into(), hash.clone())).collect();
        let results = futures_util::future::join_all(attempts).await;
        let busy = results.iter().filter(|r| r.is_err()).count();
        assert!(busy > 0, "16 verifications at once on one thread and a queue of one: some must be refused");
        assert!(results.contains(&Ok(true)));
    }
}
