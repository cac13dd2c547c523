//! The working-day calendar of mainland China: official off days and make-up working days per
//! year, loaded from `data/holidays/cn/<year>.json`, and "N working days after day D" counting.
//!
//! Dates are calendar dates in China Standard Time (UTC+8, no daylight saving). A day in a year
//! without published data is counted by the weekend rule alone, and the answer says it is
//! provisional: it is never silently trusted.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc, Weekday};
use serde::Deserialize;

/// The year files shipped with the binary.
const EMBEDDED_YEARS: &[(&str, &str)] = &[
    ("2025.json", include_str!("../../data/holidays/cn/2025.json")),
    ("2026.json", include_str!("../../data/holidays/cn/2026.json")),
];

/// China Standard Time, UTC+8.
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Today's date in China Standard Time.
pub fn today_in_china(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&china_offset()).date_naive()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    #[expect(dead_code, reason = "documents where the data comes from; not used in counting")]
    source: String,
    off_days: Vec<NaiveDate>,
    makeup_working_days: Vec<NaiveDate>,
}

/// Why a year file was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[expect(missing_docs, reason = "each variant's message says what its fields are")]
pub enum CalendarError {
    /// The file is not the expected TOML.
    #[error("{file}: not valid holiday data: {message}")]
    Malformed { file: String, message: String },
    /// A date outside the file's year.
    #[error("{file}: {date} is not in year {year}")]
    WrongYear { file: String, date: NaiveDate, year: i32 },
    /// A date listed twice.
    #[error("{file}: {date} is listed twice")]
    Duplicate { file: String, date: NaiveDate },
    /// A make-up working day that is a weekday already.
    #[error("{file}: make-up working day {date} is not a Saturday or Sunday")]
    MakeupNotWeekend { file: String, date: NaiveDate },
    /// Two files for one year.
    #[error("{file}: year {year} is given twice")]
    DuplicateYear { file: String, year: i32 },
}

#[derive(Debug, Default, Clone)]
struct YearData {
    off: BTreeSet<NaiveDate>,
    makeup: BTreeSet<NaiveDate>,
}

/// A due date and whether it rests on years without published holiday data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueDate {
    /// The due date.
    pub date: NaiveDate,
    /// True when some day counted lies in a year with no data: weekends only were assumed.
    pub provisional: bool,
}

/// Official working days, validated at load.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    years: BTreeMap<i32, YearData>,
}

impl WorkingCalendar {
    /// The calendar from the year files embedded in the binary.
    pub fn embedded() -> Result<Self, CalendarError> {
        Self::from_files(EMBEDDED_YEARS.iter().copied())
    }

    /// Parses and validates year files given as (file name, JSON text).
    pub fn from_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, CalendarError> {
        let mut years = BTreeMap::new();
        for (file, text) in files {
            let parsed: YearFile = serde_json::from_str(text)
                .map_err(|e| CalendarError::Malformed { file: file.to_owned(), message: e.to_string() })?;
            let mut data = YearData::default();
            let mut seen = BTreeSet::new();
            for &date in parsed.off_days.iter().chain(&parsed.makeup_working_days) {
                if date.year() != parsed.year {
                    return Err(CalendarError::WrongYear { file: file.to_owned(), date, year: parsed.year });
                }
                if !seen.insert(date) {
                    return Err(CalendarError::Duplicate { file: file.to_owned(), date });
                }
            }
            for &date in &parsed.makeup_working_days {
                if !is_weekend(date) {
                    return Err(CalendarError::MakeupNotWeekend { file: file.to_owned(), date });
                }
                data.makeup.insert(date);
            }
            data.off.extend(parsed.off_days.iter().copied());
            if years.insert(parsed.year, data).is_some() {
                return Err(CalendarError::DuplicateYear { file: file.to_owned(), year: parsed.year });
            }
        }
        Ok(Self { years })
    }

    /// Years with published data.
    pub fn known_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    /// Whether `date` is a working day, and whether that answer is only provisional.
    pub fn is_working_day(&self, date: NaiveDate) -> (bool, bool) {
        match self.years.get(&date.year()) {
            Some(year) if year.off.contains(&date) => (false, false),
            Some(year) if year.makeup.contains(&date) => (true, false),
            Some(_) => (!is_weekend(date), false),
            None => (!is_weekend(date), true),
        }
    }

    /// The `n`th working day after `start`; `start` itself is never counted.
    /// With `n == 0` the answer is `start`.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> DueDate {
        let mut date = start;
        let mut provisional = false;
        let mut counted = 0;
        while counted < n {
            date = date.succ_opt().expect("dates stay far from chrono's limits");
            let (working, unsure) = self.is_working_day(date);
            provisional |= unsure;
            if working {
                counted += 1;
            }
        }
        DueDate { date, provisional }
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not after `from`).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d.succ_opt().expect("dates stay far from chrono's limits");
            n += u32::from(self.is_working_day(d).0);
        }
        n
    }

    /// Whether a task due at the end of `due` (China time) is overdue at `now`.
    pub fn is_overdue(due: NaiveDate, now: DateTime<Utc>) -> bool {
        today_in_china(now) > due
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cal() -> WorkingCalendar {
        WorkingCalendar::embedded().unwrap()
    }

    #[test]
    fn embedded_years_load() {
        assert_eq!(cal().known_years().collect::<Vec<_>>(), vec![2025, 2026]);
    }

    #[test]
    fn ordinary_week_skips_the_weekend() {
        // Friday 2026-11-27 + 5 working days: Mon..Fri of the next week.
        assert_eq!(cal().add_working_days(d("2026-11-27"), 5), DueDate { date: d("2026-12-04"), provisional: false });
        // The day of notice is not counted.
        assert_eq!(cal().add_working_days(d("2026-11-23"), 1).date, d("2026-11-24"));
    }

    #[test]
    fn spring_festival_2026_and_its_makeup_saturdays() {
        // Notice on Fri 2026-02-13: Sat 02-14 is a make-up working day (1), then 15..23 are off,
        // 24, 25, 26, 27 (2..5).
        assert_eq!(cal().add_working_days(d("2026-02-13"), 5).date, d("2026-02-27"));
        // Notice on Thu 2026-02-26: 27 (1), Sat 28 make-up (2), Mar 2, 3, 4 (3..5).
        assert_eq!(cal().add_working_days(d("2026-02-26"), 5).date, d("2026-03-04"));
        assert_eq!(cal().is_working_day(d("2026-02-14")), (true, false));
        assert_eq!(cal().is_working_day(d("2026-02-16")), (false, false));
    }

    #[test]
    fn spring_festival_2025() {
        // Notice on Fri 2025-01-24: Sun 01-26 make-up (1), Mon 27 (2), 28..Feb 4 off,
        // Feb 5, 6, 7 (3..5).
        assert_eq!(cal().add_working_days(d("2025-01-24"), 5).date, d("2025-02-07"));
        // Ten working days for the paper review, from Wed 2025-01-22: 23, 24, Sun 26 (make-up),
        // 27, Feb 5, 6, 7, Sat 8 (make-up), 10, 11.
        assert_eq!(cal().add_working_days(d("2025-01-22"), 10).date, d("2025-02-11"));
    }

    #[test]
    fn national_day_2026() {
        // Notice on Wed 2026-09-30: Oct 1-7 off, Thu 8, Fri 9, Sat 10 (make-up), Mon 12, Tue 13.
        assert_eq!(cal().add_working_days(d("2026-09-30"), 5).date, d("2026-10-13"));
    }

    #[test]
    fn working_days_between_is_the_inverse_of_adding() {
        for (start, n) in [("2026-02-13", 5), ("2026-09-30", 5), ("2026-11-27", 2)] {
            let due = cal().add_working_days(d(start), n).date;
            assert_eq!(cal().working_days_between(d(start), due), n);
        }
        assert_eq!(cal().working_days_between(d("2026-02-20"), d("2026-02-13")), 0);
    }

    #[test]
    fn year_without_data_is_provisional() {
        let due = cal().add_working_days(d("2026-12-29"), 5);
        assert_eq!(due.date, d("2027-01-05"));
        assert!(due.provisional);
        let within = cal().add_working_days(d("2026-12-21"), 5);
        assert!(!within.provisional);
    }

    #[test]
    fn makeup_day_must_be_weekend() {
        let bad = r#"{"year":2030,"source":"x","off_days":[],"makeup_working_days":["2030-01-02"]}"#;
        assert_eq!(
            WorkingCalendar::from_files([("2030.json", bad)]).unwrap_err(),
            CalendarError::MakeupNotWeekend { file: "2030.json".into(), date: d("2030-01-02") }
        );
    }

    #[test]
    fn duplicates_and_wrong_years_are_refused() {
        let dup = r#"{"year":2030,"source":"x","off_days":["2030-01-01","2030-01-01"],"makeup_working_days":[]}"#;
        assert!(matches!(WorkingCalendar::from_files([("a", dup)]), Err(CalendarError::Duplicate { .. })));
        let wrong = r#"{"year":2030,"source":"x","off_days":["2031-01-01"],"makeup_working_days":[]}"#;
        assert!(matches!(WorkingCalendar::from_files([("a", wrong)]), Err(CalendarError::WrongYear { .. })));
        let unknown = r#"{"year":2030,"source":"x","off_days":[],"makeup_working_days":[],"x":1}"#;
        assert!(matches!(WorkingCalendar::from_files([("a", unknown)]), Err(CalendarError::Malformed { .. })));
    }

    #[test]
    fn overdue_is_judged_in_china_time() {
        let due = d("2026-11-27");
        // 2026-11-27T16:30Z is already 2026-11-28 00:30 in China.
        assert!(WorkingCalendar::is_overdue(due, "2026-11-27T16:30:00Z".parse().unwrap()));
        assert!(!WorkingCalendar::is_overdue(due, "2026-11-27T15:30:00Z".parse().unwrap()));
    }
}
