# The two set-up commands of the README: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(HOME)/.cache/paydesk/target
export CARGO_TERM_COLOR ?= never

.PHONY: run test deps-run deps-test check soak bench

deps-run:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

## Build and run Paydesk on its embedded default.
run: deps-run
	@scripts/run.sh

## Every test: lint, Rust tests, peer conformance, simulator flows.
test: deps-test
	@scripts/test.sh

## The long property soak (>= 1,000,000 mutations); not part of `make test`.
soak:
	@scripts/soak.sh

## Benchmarks recorded in docs/BENCHMARKS.md.
bench: deps-test
	@scripts/bench.sh
