//! The database each test runs on. By default a fresh `SQLite` file in the test's directory;
//! with `TEST_DATABASE=postgres`, a fresh database on a real `PostgreSQL` server that
//! this test process starts from Debian's `postgresql` binaries in a temporary directory
//! (`initdb`, `pg_ctl`) and stops when it exits. Every test's database is a copy of one
//! migrated template, so the migrations run once per process, not once per test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Whether this run is the suite's `PostgreSQL` run.
pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// A URL for a new, empty (migrated) database: `name` in `dir` on `SQLite`, or a fresh
/// database on the test `PostgreSQL` server.
pub async fn fresh_database_url(dir: &Path, name: &str) -> String {
    if !on_postgres() {
        return format!("sqlite://{}?mode=rwc", dir.join(name).display());
    }
    let server = server();
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let database = format!("test_{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&server.url("postgres")).await.unwrap();
    // CREATE DATABASE copies the template; two copies at once from one template are refused,
    // so concurrent tests take turns.
    static TEMPLATE_LOCK: tokio::sync::Mutex<bool> = tokio::sync::Mutex::const_new(false);
    let mut migrated = TEMPLATE_LOCK.lock().await;
    if !*migrated {
        sqlx::query("CREATE DATABASE govbadge_template").execute(&mut admin).await.unwrap();
        let template = govbadge::store::connect(&server.url("govbadge_template"), 1).await.unwrap();
        template.close().await;
        *migrated = true;
    }
    sqlx::query(&format!("CREATE DATABASE {database} TEMPLATE govbadge_template")).execute(&mut admin).await.unwrap();
    drop(migrated);
    sqlx::Connection::close(admin).await.unwrap();
    server.url(&database)
}

/// The test `PostgreSQL` server of this process.
struct Server {
    port: u16,
    data: PathBuf,
    bin: PathBuf,
    /// Runs the server's commands as this user when the tests run as root (`initdb` refuses
    /// root).
    run_as: Option<String>,
}

impl Server {
    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// The command line of one of the server's programs, as the server's user.
    fn command_line(&self, program: &str) -> Vec<String> {
        let mut line = Vec::new();
        if let Some(user) = &self.run_as {
            line.extend(["runuser".to_owned(), "-u".to_owned(), user.clone(), "--".to_owned()]);
        }
        line.push(self.bin.join(program).display().to_string());
        line
    }

    fn command(&self, program: &str) -> Command {
        command(&self.command_line(program))
    }
}

fn command(line: &[String]) -> Command {
    let mut c = Command::new(&line[0]);
    c.args(&line[1..]);
    c
}

static SERVER: OnceLock<Server> = OnceLock::new();

fn server() -> &'static Server {
    SERVER.get_or_init(start)
}

/// The newest `PostgreSQL` installed by Debian's packages (or `GOVBADGE_PG_BIN`).
fn binaries() -> PathBuf {
    if let Ok(dir) = std::env::var("GOVBADGE_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed (apt-get install postgresql)")
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().expect("no initdb under /usr/lib/postgresql").1
}

fn start() -> Server {
    let root = tempfile::Builder::new().prefix("govbadge-pg-").tempdir().unwrap().keep();
    let is_root = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").unwrap()) == 0;
    let run_as = is_root.then(|| "postgres".to_owned());
    if is_root {
        let status = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&root).status().unwrap();
        assert!(status.success(), "chown of the PostgreSQL directory failed");
    }
    let port = super::helpers::free_port();
    let server = Server { port, data: root.join("data"), bin: binaries(), run_as };
    let out = server
        .command("initdb")
        .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "-D"])
        .arg(&server.data)
        .output()
        .unwrap();
    assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
    // A test server: durability off (the data dies with the run), enough connections for
    // every test's pool, the socket in the temporary directory.
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=400 -c shared_buffers=64MB",
        root.display()
    );
    let out = server
        .command("pg_ctl")
        .args(["-w", "-t", "60", "-o", &options, "-l"])
        .arg(root.join("server.log"))
        .arg("-D")
        .arg(&server.data)
        .arg("start")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pg_ctl start failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        std::fs::read_to_string(root.join("server.log")).unwrap_or_default()
    );
    // A watchdog stops the server (immediately: its data is thrown away) and removes its
    // directory once this process is gone, however it ends.
    let stop = shell_words(&server.command_line("pg_ctl"));
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} -m immediate -D '{data}' stop; rm -rf '{root}'",
        pid = std::process::id(),
        data = server.data.display(),
        root = root.display(),
    );
    // It outlives this process by design, so nothing here waits for it.
    #[allow(clippy::zombie_processes)]
    Command::new("sh")
        .args(["-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    server
}

/// A command line for `sh` (the paths here have no quotes in them).
fn shell_words(line: &[String]) -> String {
    line.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" ")
}
