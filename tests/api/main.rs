//! Integration tests over HTTP against a real govbadge with a fresh database per test.

mod authz;
mod cli;
mod config;
mod helpers;
mod race;
mod validation;
mod workflow;
