//! Integration tests over HTTP against a real govbadge with a fresh database per test.

mod authz;
mod badge;
mod browser;
mod check_conformance;
mod check_corpus;
mod cli;
mod config;
mod crawl;
mod crawl_budgets;
mod dashboard;
mod fixture;
mod hardening;
mod helpers;
mod journeys;
mod notices;
mod outbox;
mod race;
mod red_pages;
mod register;
mod rendered;
mod report;
mod screens;
mod self_check;
mod sweep;
mod validation;
mod workflow;
