//! The shipped configuration loads, and strictness and environment overrides behave.

use govbadge::config::Config;

const SHIPPED: &str = include_str!("../../config.toml");

#[test]
fn shipped_config_loads_and_matches_the_defaults() {
    let config = Config::from_toml_and_env(SHIPPED, "config.toml", Vec::new()).unwrap();
    let defaults = Config::default();
    assert_eq!(config.server.bind, defaults.server.bind);
    assert_eq!(config.workflow.review_levels, defaults.workflow.review_levels);
    assert_eq!(config.workflow.paper_copies, 4);
    assert_eq!(config.sms.body, defaults.sms.body);
    assert_eq!(config.outbox.max_attempts, defaults.outbox.max_attempts);
}

#[test]
fn unknown_keys_are_named() {
    let err = Config::from_toml_and_env("[server]\nbnid = \"x\"\n", "test.toml", Vec::new()).unwrap_err().to_string();
    assert!(err.contains("bnid"), "{err}");
    let err = Config::from_toml_and_env("[sever]\n", "test.toml", Vec::new()).unwrap_err().to_string();
    assert!(err.contains("sever"), "{err}");
    let env = vec![("GOVBADGE_MAIL__HOTS".to_owned(), "x".to_owned())];
    let err = Config::from_toml_and_env(SHIPPED, "config.toml", env).unwrap_err().to_string();
    assert!(err.contains("hots"), "{err}");
}

#[test]
fn environment_overrides_the_file() {
    let env = vec![
        ("GOVBADGE_SERVER__BIND".to_owned(), "0.0.0.0:9000".to_owned()),
        ("GOVBADGE_MAIL__PORT".to_owned(), "2525".to_owned()),
        ("GOVBADGE_WORKFLOW__REVIEW_LEVELS".to_owned(), "[\"county\", \"province\"]".to_owned()),
        ("GOVBADGE_MAIL__ENABLED".to_owned(), "true".to_owned()),
        ("UNRELATED".to_owned(), "1".to_owned()),
    ];
    let config = Config::from_toml_and_env(SHIPPED, "config.toml", env).unwrap();
    assert_eq!(config.server.bind.to_string(), "0.0.0.0:9000");
    assert_eq!(config.mail.port, 2525);
    assert!(config.mail.enabled);
    assert_eq!(config.workflow.review_levels.len(), 2);
}

#[test]
fn addresses_and_urls_are_parsed_when_the_file_is_read() {
    for (toml, key) in [
        ("[server]\nbind = \"localhost\"\n", "localhost"),
        ("[badge]\nbase_url = \"bs.example.gov.cn\"\n", "bs.example.gov.cn"),
        ("[server]\npublic_base_url = \"ftp://x.example/\"\n", "ftp://x.example/"),
        ("[crawl]\nresolve = { \"a.gov.cn\" = \"127.0.0.1\" }\n", "127.0.0.1"),
        ("[workflow]\ncentral_region_code = \"10000\"\n", "6位"),
    ] {
        let err = Config::from_toml_and_env(toml, "t", Vec::new()).unwrap_err().to_string();
        assert!(err.contains(key) || err.contains("invalid"), "{toml}: {err}");
    }
    let config =
        Config::from_toml_and_env("[badge]\nbase_url = \"https://bs.example.gov.cn/\"\n", "t", Vec::new()).unwrap();
    assert_eq!(config.badge.base_url.as_str(), "https://bs.example.gov.cn", "no trailing slash to join paths to");
}

#[test]
fn inconsistent_values_are_refused() {
    let err = Config::from_toml_and_env("[workflow]\nreview_levels = [\"county\", \"central\"]\n", "t", Vec::new())
        .unwrap_err();
    assert!(err.to_string().contains("review_levels"));
    let err = Config::from_toml_and_env("[mail]\ntls = \"sometimes\"\n", "t", Vec::new()).unwrap_err();
    assert!(err.to_string().contains("sometimes"));
}

/// The documented variables that are not settings run every command as usual.
#[test]
fn the_binary_runs_with_each_documented_variable() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("other.toml");
    std::fs::write(&config, SHIPPED).unwrap();
    for (name, value) in [
        ("GOVBADGE_CONFIG", config.to_str().unwrap()),
        ("GOVBADGE_LOG_FORMAT", "json"),
        ("GOVBADGE_MAIL__ENABLED", "false"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_govbadge"))
            .args(["check", "--file", "tests/fixtures/real-pages/05-www-gov-cn.html", "--code", "4109220000016"])
            .env(name, value)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}={value}: a page without the badge exits 1; {stderr}");
    }
}
