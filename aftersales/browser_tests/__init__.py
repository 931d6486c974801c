"""Browser tests: real pages driven in Debian's Chromium through Playwright (`pytest -m browser`)."""
