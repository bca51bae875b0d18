# The two commands of README.md. Each does its own set-up: installs missing
# Debian packages, configures and builds, then runs.
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test demo clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) > /dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The main job on the embedded default: train the Fashion-MNIST CNN in float
# (2 epochs; configs/fmnist-cnn.json is the full 15-epoch recipe).
demo: build
	$(BUILD)/src/apps/bitlab train configs/demo.json --overwrite

clean:
	rm -rf $(BUILD)
