# sitrep: the two commands a newcomer needs are `make demo` and `make test`.
CARGO ?= cargo

.PHONY: demo test build bench differential clean

build:
	$(CARGO) build

# Builds, then renders the reports of the sample province (Jambi) into out/demo/.
demo: build
	$(CARGO) run --quiet -- run fixtures/jambi/submissions --targets fixtures/jambi/sasaran.xlsx --receipts fixtures/jambi/receipts.csv --out out/demo
	@echo "Reports in out/demo/, archival export in out/demo/export/"

# Unit tests and the integration tests (one binary, tests/it). Needs pdftotext
# (Debian: apt-get install poppler-utils) to read the PDFs back.
test:
	$(CARGO) test

# Generates a national corpus and times sitrep against the reading floor
# (release build; writes bench/latest.md). Not part of `make test`.
bench:
	bash bench/run.sh

# Cached runs against fresh runs over a folder edited at random, and with sitrep's own
# files damaged (tests/differential.py; needs python3 and pdftotext). Not part of
# `make test`: random, and a few minutes.
SITREP_BIN = $$($(CARGO) metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/debug/sitrep
differential: build
	python3 tests/differential.py "$(SITREP_BIN)" --seeds 1-8
	python3 tests/differential.py "$(SITREP_BIN)" --seeds 9-16 --damage --archive-damage
	python3 tests/differential.py "$(SITREP_BIN)" --seeds 17-20 --national --damage --archive-damage

clean:
	rm -rf out
