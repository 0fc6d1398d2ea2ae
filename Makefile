SHELL := /bin/bash
# Entry points for people and CI. `make demo` and `make test` work on a fresh
# Debian 12 machine as root: they install what they need first.
BUILD ?= build
JOBS ?= $(shell nproc)

# Node.js from NodeSource bundles npm and conflicts with Debian's npm package.
NPM_PACKAGE := $(if $(shell command -v npm),,npm)
# Every Debian package the build, the tests and the benchmark use.
DEB_PACKAGES := cmake g++ make libc6-dev \
  libcap-dev libseccomp-dev nettle-dev zlib1g-dev libfmt-dev nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev \
  clang-format-19 clang-tidy-19 clang-19 libclang-rt-19-dev iproute2 util-linux \
  python3 python3-venv nodejs debootstrap busybox-static $(NPM_PACKAGE)
# Layer unpacking (issue 5): libarchive and, for the static link, the archives
# of what it depends on (see the libarchive block in CMakeLists.txt).
DEB_PACKAGES += libarchive-dev libzstd-dev liblzma-dev libbz2-dev libxml2-dev libicu-dev
# Image import tests (issue 5) build images with the real tools; the layered
# tests' python image fixture (tests/layers/make-python-image.sh) is packed with
# umoci from the debootstrap tree (debootstrap is above).
DEB_PACKAGES += umoci skopeo
# tests/integration/image_tools_test.cpp imports what `podman save` writes;
# podman_compare_test.cpp runs the same image with podman (on runc: crun refuses hybrid cgroups).
DEB_PACKAGES += podman runc
# `strata image pull` (issue 5): libcurl for the strata-pull helper; its tests
# run a real registry, htpasswd for its basic auth, openssl for a token server's key.
DEB_PACKAGES += libcurl4-openssl-dev docker-registry apache2-utils openssl
# `strata analyze` (issue 6) reads ELF files with elfutils' libelf (static libelf.a).
DEB_PACKAGES += libelf-dev
# --isolation vm (issue 7): QEMU's microvm (qemu-system-common brings virtiofsd)
# and a guest kernel whose virtio drivers are modules strata packs.
DEB_PACKAGES += qemu-system-x86 linux-image-cloud-amd64
# --isolation wasm (issue 8): the tests build modules from C (clang-19 for
# wasm32-wasi with Debian's wasi-libc, lld's wasm-ld) and from .wat (wabt).
DEB_PACKAGES += wasi-libc lld-19 libclang-rt-19-dev-wasm32 wabt
# strata.toml (issue 9): toml++ parses the environment file (header use only, see src/envfile/toml.hpp).
DEB_PACKAGES += libtomlplusplus-dev
# What `make bench` needs on top: the peer, the timer, the profiler.
BENCH_PACKAGES := bubblewrap hyperfine python3 linux-perf inxi
# bench/container.sh: the container peers (umoci is in DEB_PACKAGES).
BENCH_PACKAGES += runc podman
# bench/trace.sh: strace next to strata trace; ldd (libc-bin) and lddtree (pax-utils) next to strata analyze.
BENCH_PACKAGES += strace pax-utils

.PHONY: all deps deps-bench build demo test bench fuzz format clean

all: build

# Installs only when something is missing, so a second run costs nothing.
deps: PACKAGES = $(DEB_PACKAGES)
deps-bench: PACKAGES = $(BENCH_PACKAGES)
deps deps-bench:
	@missing=$$(dpkg-query -W -f='$${db:Status-Abbrev} $${Package}\n' $(PACKAGES) 2>/dev/null \
	  | awk '$$1 == "ii" { print $$2 }' | sort | comm -13 - <(printf '%s\n' $(PACKAGES) | sort)); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	./demo/demo.sh $(BUILD)/src/strata

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

fuzz: build
	./tests/fuzz/run.sh $(or $(FUZZ_SECONDS),120) $(abspath $(BUILD))/fuzz

bench: build deps-bench
	./bench/run.sh $(abspath $(BUILD))/src/strata
	./bench/probe.sh $(abspath $(BUILD))/src/strata
	./bench/container.sh $(abspath $(BUILD))/src/strata
	./bench/trace.sh $(abspath $(BUILD))/src/strata
	./bench/layers.sh $(abspath $(BUILD))/src/strata $(abspath $(BUILD))/fixtures/debian-python-oci

format:
	clang-format-19 -i $$(find src tests -name '*.cpp' -o -name '*.hpp' -o -name '*.c')

clean:
	rm -rf $(BUILD)
