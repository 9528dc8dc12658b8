.PHONY: demo test bench clean

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

bench:
	bash scripts/bench.sh

clean:
	rm -rf .build Reports/faces Experiments/stratum.sqlite* Experiments/data
