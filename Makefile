# The one entry point of the suite. `make` builds; `make run` and `make test`
# install the Debian packages, build, and then start the stack or test it.

PREFIX     ?= /usr/local
DESTDIR    ?=
SYSCONFDIR ?= $(PREFIX)/etc/usersuite
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share/usersuite
UNITDIR    ?= $(PREFIX)/lib/systemd/system
VERSION    := 0.1.0

BUILD    := build
CXX      ?= g++
PKGS     := libevent libevent_pthreads libpq hiredis jansson libjwt libxcrypt libcrypto
CXXFLAGS ?= -O2 -g
CXXFLAGS += -std=c++20 -Wall -Wextra -Werror -pthread
CPPFLAGS += -I. -MMD -MP -DUSERSUITE_VERSION='"$(VERSION)"' \
            -DUSERSUITE_SYSCONFDIR='"$(SYSCONFDIR)"'
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

LIBCOMMON_SRC := $(wildcard libcommon/*.cpp)
LIBCOMMON_OBJ := $(LIBCOMMON_SRC:%.cpp=$(BUILD)/%.o)
LIBCOMMON     := $(BUILD)/libcommon.a

PROGRAMS     := users-api auth-api job-worker jobctl migrate
PROGRAM_BINS := $(PROGRAMS:%=$(BUILD)/%)
UNIT_SRC     := $(wildcard tests/unit/*.cpp)
UNIT_OBJ     := $(UNIT_SRC:%.cpp=$(BUILD)/%.o)
UNIT_BIN     := $(BUILD)/unit-tests
MAN_PAGES    := $(wildcard man/*.[1-8])

.PHONY: all deps run test unit-test integration-test bench install install-strip clean lint-man
BENCH_BINS   := $(BUILD)/bcrypt-time

all: $(PROGRAM_BINS) $(UNIT_BIN) $(BENCH_BINS)

$(BUILD)/bcrypt-time: $(BUILD)/tests/bench/bcrypt_time.o $(LIBCOMMON)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CXX) $(CXXFLAGS) -o $@ $^ $(PKG_LIBS)

# `make V=1` prints the full commands.
Q := $(if $(V),,@)

$(BUILD)/%.o: %.cpp
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CXX     $<")
	$(Q)$(CXX) $(CPPFLAGS) $(PKG_CFLAGS) $(CXXFLAGS) -c $< -o $@

# The default config path is compiled in: a new SYSCONFDIR rebuilds daemon.o.
$(BUILD)/sysconfdir.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(SYSCONFDIR)' | cmp -s - $@ || echo '$(SYSCONFDIR)' > $@
$(BUILD)/libcommon/daemon.o $(BUILD)/services/migrate/main.o $(BUILD)/services/jobctl/main.o: $(BUILD)/sysconfdir.stamp
FORCE:

$(LIBCOMMON): $(LIBCOMMON_OBJ)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

# Each program is services/<name>/*.cpp, routes/*.cpp (HTTP daemons) and jobs/*.cpp (job-worker).
define program_rule
$(BUILD)/$(1): $(patsubst %.cpp,$(BUILD)/%.o,$(wildcard services/$(1)/*.cpp services/$(1)/routes/*.cpp services/$(1)/jobs/*.cpp)) $(LIBCOMMON)
	@$$(if $$(Q),echo "  LINK    $$@")
	$$(Q)$$(CXX) $$(CXXFLAGS) -o $$@ $$^ $$(PKG_LIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

# migrate's and job-worker's parts are unit-tested too: every object but their main.
PROGRAM_PARTS := $(patsubst %.cpp,$(BUILD)/%.o,$(filter-out %/main.cpp,\
                   $(wildcard services/migrate/*.cpp services/job-worker/*.cpp services/job-worker/jobs/*.cpp)))

$(UNIT_BIN): $(UNIT_OBJ) $(PROGRAM_PARTS) $(LIBCOMMON)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CXX) $(CXXFLAGS) -o $@ $^ $(PKG_LIBS) -lgtest -lgtest_main

deps:
	@scripts/install-deps

# run, test and bench build with every core; plain `make` honours -j.
NPROC := $(shell nproc 2>/dev/null || echo 2)
BUILD_ALL = @$(MAKE) --no-print-directory -j$(NPROC) all

run: deps
	$(BUILD_ALL)
	@scripts/stack run

test: deps
	$(BUILD_ALL)
	@tests/run

unit-test:
	$(BUILD_ALL)
	@tests/run --unit

integration-test:
	$(BUILD_ALL)
	@tests/run --integration

bench: deps
	$(BUILD_ALL)
	@scripts/bench

lint-man:
	@for p in $(MAN_PAGES); do mandoc -Tlint -W warning $$p || exit 1; done

install: $(PROGRAM_BINS)
	@DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' SYSCONFDIR='$(SYSCONFDIR)' SBINDIR='$(SBINDIR)' MANDIR='$(MANDIR)' \
	  DATADIR='$(DATADIR)' UNITDIR='$(UNITDIR)' BUILD='$(BUILD)' STRIP='$(STRIP)' scripts/install-tree

# The same with the programs stripped of their debugging symbols.
install-strip:
	@$(MAKE) --no-print-directory install STRIP=1

clean:
	rm -rf $(BUILD)

-include $(LIBCOMMON_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(BUILD)/tests/bench/bcrypt_time.d $(wildcard $(BUILD)/services/*/*.d $(BUILD)/services/*/routes/*.d)
