//! Process memory: the allocator and its settings.
//!
//! Rust allocations go to jemalloc (the `#[global_allocator]` in `main.rs` is
//! [`Allocator`]), configured here: two arenas (the batch commands' threads all on the first,
//! [`share_one_arena`]), and freed pages handed back to the system after 100 ms. A sweep
//! allocates many short-lived page bodies and connection buffers between longer-lived results;
//! under glibc's allocator the resident set grew with the sites swept although live data did
//! not, and the badge endpoints spent a tenth of their time in malloc/free. The C code linked in
//! (`SQLite`) still uses glibc's malloc, limited here to two arenas. Figures: BENCHMARKS.md §1
//! (badge endpoints) and §3 (crawl farm).

// The crate's one exception to `unsafe_code = "deny"`: an exported configuration symbol, one
// call into glibc and one into jemalloc's control interface.
#![allow(unsafe_code)]

/// The global allocator `main.rs` installs.
pub type Allocator = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read once when it starts (a C string; see `man jemalloc`,
/// "TUNING"): `narenas` two arenas instead of four per core (threads share them, so freed
/// memory is reused across the runtime's threads); `dirty_decay_ms` freed pages returned to
/// the system after 100 ms instead of 10 s; `muzzy_decay_ms:0` no second, lazier stage.
/// `_RJEM_MALLOC_CONF` in the environment adds to these.
const JEMALLOC_CONF: &[u8] = b"narenas:2,dirty_decay_ms:100,muzzy_decay_ms:0\0";

/// The symbol jemalloc (built with tikv-jemalloc-sys's `_rjem_` prefix) reads its options
/// from: a `const char *`, which `Option<&u8>` is laid out as.
#[used]
#[export_name = "_rjem_malloc_conf"]
static MALLOC_CONF: Option<&u8> = Some(&JEMALLOC_CONF[0]);

/// Binds the calling thread to jemalloc's first arena. The batch commands' threads (`sweep`,
/// `crawl`, `worker`, …) all call this: a sweep's memory then sits in one arena, which lowered
/// its peak resident set by 1-3 MB at no CPU cost. (`narenas:1` in
/// `JEMALLOC_CONF` would do the same for the whole process, but `serve`'s two HTTP threads
/// would then share one arena's lock: 12 % more CPU per badge request. BENCHMARKS.md §3.)
pub fn share_one_arena() {
    // A failure leaves the thread on the arena it had.
    let _ = bind_thread_to_arena(0);
}

/// Binds the calling thread to jemalloc's arena `arena`; jemalloc's status (0: done).
fn bind_thread_to_arena(arena: libc::c_uint) -> libc::c_int {
    // SAFETY: `thread.arena` is written with an `unsigned int` (see `man jemalloc`), passed by
    // pointer with its size; the name is a NUL-terminated string; nothing is read back. An
    // arena that does not exist is refused with a status, not undefined behaviour.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"thread.arena".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::from_ref(&arena).cast_mut().cast(),
            std::mem::size_of::<libc::c_uint>(),
        )
    }
}

/// Arenas glibc's malloc (`SQLite`'s allocations) may create; its default is eight per core.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const GLIBC_ARENAS: libc::c_int = 2;

/// Limits glibc's malloc to `GLIBC_ARENAS` arenas. Call before the runtime starts its
/// threads. An explicit `MALLOC_ARENA_MAX` in the environment wins.
pub fn limit_glibc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only changes allocator parameters; M_ARENA_MAX is a valid option.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, GLIBC_ARENAS);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_thread_shares_the_first_arena() {
        let arena_of_this_thread = || {
            let mut arena: libc::c_uint = u32::MAX;
            let mut size = std::mem::size_of::<libc::c_uint>();
            // SAFETY: reads `thread.arena` into an `unsigned int` of the size given.
            let status = unsafe {
                tikv_jemalloc_sys::mallctl(
                    c"thread.arena".as_ptr(),
                    std::ptr::from_mut(&mut arena).cast(),
                    &mut size,
                    std::ptr::null_mut(),
                    0,
                )
            };
            assert_eq!(status, 0);
            arena
        };
        let bound = std::thread::spawn(move || {
            let moved = super::bind_thread_to_arena(1);
            assert_eq!((moved, arena_of_this_thread()), (0, 1), "the thread starts on the second arena");
            super::share_one_arena();
            arena_of_this_thread()
        });
        assert_eq!(bound.join().unwrap(), 0);
    }

    #[test]
    fn the_jemalloc_options_are_one_c_string() {
        let conf = super::JEMALLOC_CONF;
        assert_eq!(conf.iter().position(|&b| b == 0), Some(conf.len() - 1));
        assert!(std::str::from_utf8(&conf[..conf.len() - 1]).is_ok_and(|s| s.split(',').all(|o| o.contains(':'))));
    }
}
