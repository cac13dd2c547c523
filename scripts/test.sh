#!/usr/bin/env bash
# Runs every check and test of govbadge on a fresh machine: installs what the tests need
# (the real SMTP server used by the mail tests), then format, lints and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --all-targets --locked
