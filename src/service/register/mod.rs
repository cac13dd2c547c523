//! Taking in the register of existing sites (`govbadge import register`, `/admin/register`): a
//! dry run reports, row by row, what an import would do and what stops it; applying writes all
//! rows or none. Importing the same file again changes nothing; a changed row updates its site.
//! Units get accounts (named by their credit code) that stay disabled until an office
//! activates them.

pub mod table;

use std::collections::HashMap;

use chrono::Utc;
use serde::Serialize;

use self::table::Table;
use super::{Context, ServiceError};
use crate::domain::account::{Actor, Role};
use crate::domain::register::{column_of, heading, read_row, RegisterEntry, COLUMNS};
use crate::store::register::{self as store, StoredSite, Write};

/// What a row will do (or did).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action", content = "fields")]
pub enum RowAction {
    /// A site new to the register.
    Add,
    /// A site already in the register whose data changed: the columns that differ.
    Update(Vec<&'static str>),
    /// A site already in the register, as the row has it.
    Unchanged,
}

impl RowAction {
    /// The action in Chinese.
    pub fn label(&self) -> &'static str {
        match self {
            RowAction::Add => "新增",
            RowAction::Update(_) => "更新",
            RowAction::Unchanged => "无变化",
        }
    }
}

/// One problem, by row and column, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    /// The file's row number (1 is the heading row).
    pub row: usize,
    /// The column's heading ("" for the whole row or file).
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

/// One good row and what it will do.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedRow {
    /// The file's row number.
    pub row: usize,
    /// The site's legacy code.
    pub code: String,
    /// The site's name.
    pub site_name: String,
    /// What importing it does.
    pub action: RowAction,
    #[serde(skip)]
    entry: RegisterEntry,
    #[serde(skip)]
    stored: Option<i64>,
}

/// Problems a plan lists at most; past them it counts them. A file of 100,000 rows of ten
/// problems each listed every one: 3 MB of CSV took the server from 66 MB to 2.7 GB and was
/// answered with 122 MB of HTML (BENCHMARKS.md §5).
pub const MAX_LISTED_PROBLEMS: usize = 1_000;

/// A dry run's result: every row's action, and the problems.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The file's name.
    pub file_name: String,
    /// Data rows read.
    pub rows_total: usize,
    /// Rows that can be imported, with their action.
    pub rows: Vec<PlannedRow>,
    /// What stops the import, the first [`MAX_LISTED_PROBLEMS`] in the file's order; it is
    /// applied only when there is none.
    pub problems: Vec<RowProblem>,
    /// Problems found, listed or not.
    pub problems_total: usize,
    /// Rows with a problem (row 1 for the file's own problems).
    pub rows_with_problems: usize,
    /// The row of the last problem found (0 before the first).
    #[serde(skip)]
    last_problem_row: usize,
}

impl Plan {
    fn new(file_name: String) -> Self {
        Self {
            file_name,
            rows_total: 0,
            rows: Vec::new(),
            problems: Vec::new(),
            problems_total: 0,
            rows_with_problems: 0,
            last_problem_row: 0,
        }
    }

    /// Counts a problem, and lists it while fewer than [`MAX_LISTED_PROBLEMS`] are. Problems
    /// come in the order of their rows.
    fn problem(&mut self, problem: RowProblem) {
        self.problems_total += 1;
        if problem.row != self.last_problem_row {
            self.rows_with_problems += 1;
            self.last_problem_row = problem.row;
        }
        if self.problems.len() < MAX_LISTED_PROBLEMS {
            self.problems.push(problem);
        }
    }

    /// Rows of each action: (added, updated, unchanged).
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |f: fn(&RowAction) -> bool| self.rows.iter().filter(|r| f(&r.action)).count();
        (
            count(|a| *a == RowAction::Add),
            count(|a| matches!(a, RowAction::Update(_))),
            count(|a| *a == RowAction::Unchanged),
        )
    }
}

/// What applying wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// Sites added.
    pub added: usize,
    /// Sites updated.
    pub updated: usize,
    /// Rows already as stored.
    pub unchanged: usize,
    /// Unit accounts created, disabled.
    pub accounts: usize,
}

/// Who may import: admins from the pages; the command line (no actor) runs as the operator.
fn authorize(actor: Option<&Actor>) -> Result<(), ServiceError> {
    match actor {
        Some(a) if a.role != Role::Admin => Err(ServiceError::Forbidden),
        _ => Ok(()),
    }
}

/// Reads the file and plans the import: nothing is written.
pub async fn plan(ctx: &Context, actor: Option<&Actor>, bytes: &[u8], file_name: &str) -> Result<Plan, ServiceError> {
    authorize(actor)?;
    let file_name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name).chars().take(200).collect::<String>();
    let mut plan = Plan::new(file_name);
    let table = match table::read_off_runtime(bytes, &plan.file_name).await {
        Ok(t) => t,
        Err(e) => {
            plan.problem(RowProblem { row: 1, field: String::new(), reason: e.to_string() });
            return Ok(plan);
        }
    };
    plan.rows_total = table.rows.len();
    let mut heading_problems = Vec::new();
    let columns = map_columns(&table, &mut heading_problems);
    for problem in heading_problems {
        plan.problem(problem);
    }
    let Some(columns) = columns else { return Ok(plan) };
    // Codes and domains already taken by an earlier row of the file.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (row, number) in table.rows.iter().zip(&table.numbers) {
        let cell = |key: &str| columns.get(key).and_then(|&i| row.get(i)).map_or("", String::as_str);
        let entry = match read_row(cell) {
            Ok(entry) => entry,
            Err(errors) => {
                for (key, reason) in errors {
                    plan.problem(RowProblem { row: *number, field: heading(key).to_owned(), reason });
                }
                continue;
            }
        };
        let mut problems = Vec::new();
        for (key, value) in identities(&entry) {
            if let Some(first) = seen.insert(value.clone(), *number) {
                problems.push((key, format!("与第{first}行重复")));
            }
        }
        let stored = store::site_by_code(&ctx.pool, entry.legacy_code.as_str()).await?;
        // A column the file lacks leaves the stored value as it is.
        let entry = match &stored {
            Some(s) if COLUMNS.iter().any(|c| !columns.contains_key(c.key)) => {
                let merged = |key: &str| match columns.get(key) {
                    Some(&i) => row.get(i).map_or("", String::as_str),
                    None => s.cell(key),
                };
                read_row(merged).unwrap_or(entry)
            }
            _ => entry,
        };
        for (key, domain) in domains(&entry) {
            if let Some(holder) = store::domain_holder(&ctx.pool, &domain).await? {
                if holder != entry.legacy_code.as_str() {
                    problems.push((key, format!("该域名已登记在网站标识{holder}下")));
                }
            }
        }
        match &stored {
            Some(s) if s.unit_account != entry.credit_code.as_str() => {
                problems.push(("legacy_code", format!("该网站标识代码已登记在其他单位（{}）下", s.unit_name)));
            }
            None => match store::account_role(&ctx.pool, entry.credit_code.as_str()).await?.as_deref() {
                Some("unit") | None => {}
                Some(_) => problems.push(("credit_code", "该统一社会信用代码已被非单位账号使用".to_owned())),
            },
            Some(_) => {}
        }
        if !problems.is_empty() {
            for (key, reason) in problems {
                plan.problem(RowProblem { row: *number, field: heading(key).to_owned(), reason });
            }
            continue;
        }
        let action = match &stored {
            None => RowAction::Add,
            Some(s) => match changed_columns(s, &entry) {
                changed if changed.is_empty() => RowAction::Unchanged,
                changed => RowAction::Update(changed),
            },
        };
        plan.rows.push(PlannedRow {
            row: *number,
            code: entry.legacy_code.as_str().to_owned(),
            site_name: entry.site_name.clone(),
            action,
            stored: stored.map(|s| s.application_id),
            entry,
        });
    }
    Ok(plan)
}

/// Applies a plan with no problems: every row or none. A plan with problems writes nothing.
pub async fn apply(ctx: &Context, actor: Option<&Actor>, plan: &Plan) -> Result<Applied, ServiceError> {
    authorize(actor)?;
    if !plan.problems.is_empty() {
        return Err(super::field_error("file", "文件中有错误，未导入任何数据；请改正后重新导入"));
    }
    let writes: Vec<Write<'_>> = plan
        .rows
        .iter()
        .filter_map(|r| match (&r.action, r.stored) {
            (RowAction::Add, _) => Some(Write::Add(&r.entry)),
            (RowAction::Update(_), Some(id)) => Some(Write::Update(&r.entry, id)),
            _ => None,
        })
        .collect();
    let (_, _, unchanged) = plan.counts();
    let run = store::Run {
        actor_id: actor.map(|a| a.account_id),
        file_name: &plan.file_name,
        rows_total: plan.rows_total,
        unchanged,
    };
    let written = store::write(&ctx.pool, &writes, &run, Utc::now()).await?;
    tracing::info!(added = written.added, updated = written.updated, unchanged, "register imported");
    if written.added + written.updated > 0 {
        ctx.refresh_badges().await;
    }
    Ok(Applied { added: written.added, updated: written.updated, unchanged, accounts: written.accounts })
}

/// The column index of each known key; unknown headings and missing required columns are
/// problems of row 1 (a missing required column stops the whole file).
fn map_columns(table: &Table, problems: &mut Vec<RowProblem>) -> Option<HashMap<&'static str, usize>> {
    let mut columns = HashMap::new();
    for (i, h) in table.headings.iter().enumerate() {
        match column_of(h) {
            Some(c) if columns.insert(c.key, i).is_some() => {
                problems.push(RowProblem { row: 1, field: c.heading.to_owned(), reason: "列名重复".to_owned() });
            }
            Some(_) => {}
            None if h.trim().is_empty() => {}
            None => problems.push(RowProblem {
                row: 1,
                field: h.trim().to_owned(),
                reason: "无法识别的列名（该列未导入）".to_owned(),
            }),
        }
    }
    let missing: Vec<&str> =
        COLUMNS.iter().filter(|c| c.required && !columns.contains_key(c.key)).map(|c| c.heading).collect();
    if missing.is_empty() {
        // Unknown columns alone do not stop an import: they are reported, and dropped.
        problems.retain(|p| p.reason != "无法识别的列名（该列未导入）");
        Some(columns)
    } else {
        problems.push(RowProblem {
            row: 1,
            field: String::new(),
            reason: format!("缺少必填列：{}", missing.join("、")),
        });
        None
    }
}

/// The values one row may not share with another: its code and its domains.
fn identities(entry: &RegisterEntry) -> Vec<(&'static str, String)> {
    let mut out = vec![("legacy_code", entry.legacy_code.as_str().to_owned())];
    out.extend(domains(entry));
    out
}

fn domains(entry: &RegisterEntry) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(d) = &entry.domain_en {
        out.push(("domain_en", d.as_str().to_owned()));
    }
    if let Some(d) = &entry.domain_cn {
        out.push(("domain_cn", d.ascii().to_owned()));
    }
    out
}

/// The columns whose stored value differs from the row's.
fn changed_columns(stored: &StoredSite, entry: &RegisterEntry) -> Vec<&'static str> {
    let pairs: [(&'static str, &str, &str); 10] = [
        ("unit_name", &stored.unit_name, &entry.unit_name),
        ("category", &stored.category, entry.category),
        ("region", &stored.region, entry.region.as_str()),
        ("address", &stored.address, &entry.address),
        ("unit_functions", &stored.unit_functions, &entry.unit_functions),
        ("site_name", &stored.site_name, &entry.site_name),
        ("domain_cn", &stored.domain_cn, entry.domain_cn.as_ref().map_or("", |d| d.unicode())),
        ("domain_en", &stored.domain_en, entry.domain_en.as_ref().map_or("", |d| d.as_str())),
        (
            "legacy_link_id",
            stored.legacy_link_id.as_deref().unwrap_or(""),
            entry.legacy_link_id.as_deref().unwrap_or(""),
        ),
        ("site_id_code", &stored.site_id_code, entry.site_id_code.as_deref().unwrap_or("")),
    ];
    pairs.into_iter().filter(|(_, a, b)| a != b).map(|(key, _, _)| key).collect()
}
