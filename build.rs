//! Rebuilds when a migration is added: `sqlx::migrate!` embeds the migration folders, and a new
//! file in them is not otherwise a change cargo sees.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
