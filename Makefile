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
# (2 epochs; configs/fmnist-cnn-long.json is the full recipe), quantise it at
# mixed precision without training (8-bit first and last layers, 4-bit weights
# elsewhere, 8-bit activations), convert it to an integer-only graph and verify
# that graph against the fake-quantised model on 2000 test images (the integer
# reference runtime is plain C++: the whole test set takes ~3 minutes more),
# then generate C for it, build that with the host C compiler and check it
# against the integer runtime on 100 random inputs.
demo: build
	$(BUILD)/src/apps/bitlab train configs/demo.json --overwrite
	$(BUILD)/src/apps/bitlab quantize runs/demo/checkpoint.pt --ptq --policy configs/policies/mixed-w4.json --out runs/demo-ptq
	$(BUILD)/src/apps/bitlab convert runs/demo-ptq/checkpoint.pt --out runs/demo-ptq/net.tq.json --verify --test-limit 2000
	$(BUILD)/src/apps/bitlab codegen runs/demo-ptq/net.tq.json --target host --out runs/demo-ptq/c --check 100

clean:
	rm -rf $(BUILD)
