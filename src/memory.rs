//! Process memory: the allocator and its settings.
//!
//! Rust allocations go to jemalloc (the `#[global_allocator]` in `main.rs` is
//! [`Allocator`]), configured here: two arenas, and freed pages handed back to the system after
//! 100 ms. A sweep allocates many short-lived page bodies and connection buffers between
//! longer-lived results; under glibc's allocator the resident set grew with the sites swept
//! although live data did not, and the badge endpoints spent a tenth of their time in
//! malloc/free. The C code linked in (`SQLite`) still uses glibc's malloc, limited here to two
//! arenas. Figures: BENCHMARKS.md §1 (badge endpoints) and §3 (crawl farm).

// The crate's one exception to `unsafe_code = "deny"`: an exported configuration symbol and
// one call into glibc.
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

/// Arenas glibc's malloc (`SQLite`'s allocations) may create; its default is eight per core.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const GLIBC_ARENAS: libc::c_int = 2;

/// Limits glibc's malloc to [`GLIBC_ARENAS`] arenas. Call before the runtime starts its
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
    fn the_jemalloc_options_are_one_c_string() {
        let conf = super::JEMALLOC_CONF;
        assert_eq!(conf.iter().position(|&b| b == 0), Some(conf.len() - 1));
        assert!(std::str::from_utf8(&conf[..conf.len() - 1]).is_ok_and(|s| s.split(',').all(|o| o.contains(':'))));
    }
}
