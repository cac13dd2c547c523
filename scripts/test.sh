#!/usr/bin/env bash
# Runs every check and test of govbadge on a fresh machine: installs what the tests need
# (the real SMTP server of the mail tests, openssl for the TLS test, chromium and its WebDriver
# for the browser tests, axe-core from npm for their accessibility checks), then format, lints,
# the API documentation and the test suite, on SQLite and again on a real PostgreSQL (Debian's
# postgresql package; the tests start their own server in a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
# openssl serves the self-signed TLS site of the certificate test; Debian's chromium (with CJK
# fonts for the screenshots) runs the badge in a real browser.
missing=""
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
[ -x /usr/bin/chromedriver ] || missing="$missing chromium-driver"
fc-list 2>/dev/null | grep -qi "noto.*cjk" || missing="$missing fonts-noto-cjk"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
if [ -n "$missing" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
fi

# axe-core, injected into pages by the browser journeys (the version pinned in package-lock.json).
npm ci --prefix tests/browser --no-audit --no-fund --silent

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# The API documentation builds without warnings (broken or private intra-doc links).
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked
cargo test --all-targets --locked
# The integration suite again, every test on its own database of a PostgreSQL server.
TEST_DATABASE=postgres cargo test --locked --test api
