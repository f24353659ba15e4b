# The README's commands. Everything real is in meson.build; this file
# installs what a fresh Debian 12 machine lacks, then drives meson.

BUILD ?= build
SAN_BUILD ?= build-san
MESON_OPTS ?=

# Debian packages the build, the tests and the demo need. bpftool, clang,
# llvm and libbpf-dev are for the optional eBPF backend of watch;
# libyaml-dev and libcrypt-dev for serve, curl, openssl and prometheus for
# its tests (which run their own Prometheus on loopback in a private
# namespace; on a systemd machine the package also enables its own service
# on :9090: `systemctl disable --now prometheus` if that is unwanted).
DEB_PKGS = meson ninja-build pkg-config gcc g++ libc6-dev libmnl-dev \
	libcmocka-dev libmicrohttpd-dev iproute2 net-tools procps util-linux \
	jq python3 clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libclang-rt-14-dev time \
	libyaml-dev libcrypt-dev curl openssl prometheus nginx-light haproxy ncat \
	lighttpd apache2 socat tinyproxy memcached postgresql nodejs cargo \
	librust-tokio-dev librust-tokio-macros-dev gunicorn varnish

.PHONY: all deps demo check san-check fuzz bench clean format

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# Installs missing packages when run as root; otherwise says what is missing.
# The servers among them (nginx, haproxy, prometheus, memcached, gunicorn,
# varnish; nodejs for a Node.js server) are for tests that start their own
# on loopback: a policy-rc.d that answers 101 keeps their packages from
# starting system services (on :80, :9090, :11211, :6081) while they
# install, and from failing the install where such a service cannot start.
deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing: $$missing"; \
		rc_hold=; \
		if [ ! -e /usr/sbin/policy-rc.d ]; then \
			printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && \
			chmod 755 /usr/sbin/policy-rc.d && rc_hold=1; \
		fi; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; \
		rc=$$?; \
		[ -z "$$rc_hold" ] || rm -f /usr/sbin/policy-rc.d; \
		exit $$rc; \
	else \
		echo "missing Debian packages (run as root to install): $$missing"; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD) --werror $(MESON_OPTS)

demo: deps all
	./scripts/demo.sh $(BUILD)/tcplimbo

check: deps all
	meson test -C $(BUILD) --print-errorlogs --num-processes 2
	$(MAKE) san-check
	./scripts/test-summary.sh $(BUILD) $(SAN_BUILD):unit,integration

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
san-check: $(SAN_BUILD)/build.ninja
	ninja -C $(SAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C $(SAN_BUILD) --print-errorlogs --num-processes 2 \
		--suite unit --suite integration

$(SAN_BUILD)/build.ninja:
	meson setup $(SAN_BUILD) --werror -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbpf=disabled $(MESON_OPTS)

fuzz:
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_lundef=false \
		-Dbpf=disabled || true
	ninja -C build-fuzz
	./scripts/fuzz.sh build-fuzz

bench: deps all
	BUILD=$(BUILD) ./bench/run.sh

format:
	clang-format -i include/tcplimbo/*.h lib/*.c lib/*.h src/*.c src/*.h \
		lab/*.c lab/*.h bpf/*.c bpf/*.h tests/unit/*.c tests/fuzz/*.c \
		bench/*.c

clean:
	rm -rf $(BUILD) $(SAN_BUILD) build-fuzz
