//! govbadge: the website badge programme for party and government bodies (党政机关网站标识).
//!
//! - `domain`: pure types and rules (the application form, the workflow, badge codes, the
//!   working-day calendar);
//! - `store`: `SQLite` access behind functions that return domain types;
//! - `service`: the operations, with authorization, shared by pages and API;
//! - `web`: the axum pages (Simplified Chinese) and JSON API;
//! - `notify`: the outbox sender for e-mail and SMS;
//! - `badge`: the install snippet, the badge script and images, sightings;
//! - `check` and `crawl`: the page check and the crawler, sweeps; `render`: the rendered check
//!   (the page in headless chromium, the badge as a visitor sees it);
//! - `report`: sweep reports (CSV, XLSX, HTML with SVG charts);
//! - `markup`: escaping for HTML built without templates; `errors`: the text of an error chain;
//!   `ip_network`: the network an address stands for where things are counted per address;
//! - `cli`: the command line and the output of its commands;
//! - `app`: building and running the service, and its demo data.
//!
//! Imports point down these layers: `app` → `cli`/`web` → `service` → `report`, `badge`,
//! `notify` → `store`, `crawl` → `render` → `check`, `domain`, `config`. Only `store` speaks SQL.

pub mod app;
pub mod badge;
pub mod check;
pub mod cli;
pub mod config;
pub mod crawl;
pub mod domain;
pub mod errors;
pub mod ip_network;
pub mod markup;
pub mod memory;
pub mod notify;
pub mod per_thread;
pub mod render;
pub mod report;
pub mod service;
pub mod store;
pub mod web;
