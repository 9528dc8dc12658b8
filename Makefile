.PHONY: demo test bench stress fuzz clean

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

bench:
	bash scripts/bench.sh

# The long forms of the kill-and-resume and concurrency tests (release build, 40,000 faces,
# 60 kills, 3 runs at once); STRESS_ARGS passes options (scripts/stress_runs.py --help).
stress:
	bash scripts/install-deps.sh
	swift build -c release --product stratum
	python3 scripts/stress_runs.py "$$(swift build -c release --show-bin-path)/stratum" $(STRESS_ARGS)

# libFuzzer targets for the parsers, 1,000,000 runs each (Fuzz/README.md); FUZZ_ARGS="--short" for 2,000.
fuzz:
	bash scripts/fuzz.sh $(FUZZ_ARGS)

clean:
	rm -rf .build Reports/faces Experiments/stratum.sqlite* Experiments/data
