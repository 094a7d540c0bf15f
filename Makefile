# sitrep: the two commands a newcomer needs are `make demo` and `make test`.
CARGO ?= cargo

.PHONY: demo test build bench clean

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

clean:
	rm -rf out
