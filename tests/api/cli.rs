//! The command line: `govbadge deadline`.

use std::process::Command;

fn deadline(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_govbadge")).arg("deadline").args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn deadline_across_the_spring_festival() {
    // Notice on Fri 2026-02-13: Sat 14 is a make-up working day, 15-23 are off.
    let (code, out, err) = deadline(&["2026-02-13"]);
    assert_eq!((code, out.lines().next(), err.as_str()), (0, Some("2026-02-27"), ""));
    let (_, out, _) = deadline(&["2026-02-13", "--days", "10"]);
    assert_eq!(out.lines().next(), Some("2026-03-05"));
}

#[test]
fn a_year_without_data_is_provisional() {
    let (code, out, err) = deadline(&["2026-12-29"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().next(), Some("2027-01-05"));
    assert!(err.contains("provisional"), "{err}");
}

#[test]
fn bad_dates_are_usage_errors() {
    let (code, out, err) = deadline(&["2026-02-30"]);
    assert_eq!(code, 2);
    assert!(out.is_empty() && err.contains("YYYY-MM-DD"));
}
