.PHONY: demo test bench fuzz clean

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

bench:
	bash scripts/bench.sh

# libFuzzer targets for the parsers, 1,000,000 runs each (Fuzz/README.md); FUZZ_ARGS="--short" for 2,000.
fuzz:
	bash scripts/fuzz.sh $(FUZZ_ARGS)

clean:
	rm -rf .build Reports/faces Experiments/stratum.sqlite* Experiments/data
