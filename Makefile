# The README's two commands:
#   make run    set up this machine (apt, npm, models, build, certificates) and start the server
#   make test   set up what the tests need and run the whole test suite
.PHONY: run test setup build
run:
	scripts/setup.sh
	build/sueo serve

test:
	scripts/setup.sh --no-certs
	cd build && ctest --output-on-failure -j 1 --timeout 900

setup:
	scripts/setup.sh

build:
	cmake --build build -j $$(nproc)
