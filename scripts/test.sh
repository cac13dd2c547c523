#!/usr/bin/env bash
# Runs every check and test of govbadge on a fresh machine: installs what the tests need
# (the real SMTP server of the mail tests, openssl for the TLS test), then format, lints and
# the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
# openssl serves the self-signed TLS site of the certificate test.
if ! command -v openssl >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl
fi

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --all-targets --locked
