# tsmm - build, boot and test the memory manager.
#
#   make run    install what is missing, build both kernels, boot them in QEMU, print their checks
#   make test   install what is missing, build, run every suite; ends with "N passed, N failed"
#
# How TypeScript becomes a kernel (docs/pipeline.md has the details):
#   tools/bundle.mjs       the kernel's modules -> one .ts (dependency order, port swapped native)
#   porf c --valtype=i32   .ts -> C
#   tools/freestanding.mjs C -> freestanding C with mm_module_init()
#   tools/c-header.mjs     plain C prototypes (mm.h) for porffor's calling convention
#   gcc -m32 / -m64        mm.o, linked with the boot glue (boot/) into a Multiboot2 ELF and a GRUB ISO

SHELL := /bin/bash
.DEFAULT_GOAL := run
.DELETE_ON_ERROR:

NODE := node
PORF := node_modules/.bin/porf
SETUP_STAMP := build/.setup-done

include boot/boot.mk

# What each kernel compiles in: its TypeScript entries (the bundler follows their imports) and
# the C checks under test/kernel/common/.
KERNEL_TS_COMMON := src/memory/physical-setup.ts src/memory/temporary-mappings.ts src/memory/kernel-heap.ts \
  src/boot/memory-manager-init.ts src/boot/cpu-features.ts src/region/regions.ts src/region/io-mappings.ts src/paging/address-spaces.ts \
  src/region/page-directories.ts
KERNEL_TS_i386 := test/kernel/i386/first-light.ts $(KERNEL_TS_COMMON)
KERNEL_TS_x86-64 := test/kernel/x86-64/first-light.ts $(KERNEL_TS_COMMON)
KERNEL_CHECKS_C := $(wildcard test/kernel/common/*.c)
KERNEL_CHECKS_H := $(wildcard test/kernel/common/*.h)
CHECK_OBJS_i386 := $(patsubst test/kernel/common/%.c,build/i386/checks/%.o,$(KERNEL_CHECKS_C))
CHECK_OBJS_x86-64 := $(patsubst test/kernel/common/%.c,build/x86-64/checks/%.o,$(KERNEL_CHECKS_C))

TS_SOURCES := $(shell find src arch test/kernel -name '*.ts' 2>/dev/null)
# Generated C is porffor's, not ours: its unused labels and temporaries are not worth warnings.
GENERATED_C_WARNINGS := -Wno-unused-label -Wno-unused-variable -Wno-unused-but-set-variable -Wno-unused-parameter -Wno-error
CFLAGS_i386 := $(BOOT_CFLAGS_I386)
CFLAGS_x86-64 := $(BOOT_CFLAGS_X86_64)

ISOS := build/iso/i386.iso build/iso/i386-pae.iso build/iso/x86-64.iso build/iso/x86-64-la57.iso \
  build/iso/i386-recursive.iso build/iso/x86-64-recursive.iso build/iso/x86-64-la57-recursive.iso

.PHONY: run test setup kernels lint bench clean
# Keep intermediate files (bundle, C, objects): they are what one reads when something goes wrong.
.SECONDARY:

setup: $(SETUP_STAMP)
$(SETUP_STAMP): tools/setup.sh package.json package-lock.json $(wildcard patches/*)
	@tools/setup.sh
	@mkdir -p $(@D) && touch $@

# The objects are listed too: the object tests (test/native/objects.test.ts) read them.
kernels: $(ISOS) build/i386/mm.o build/x86-64/mm.o

build/%/mm.ts: $(TS_SOURCES) tools/bundle.mjs Makefile | $(SETUP_STAMP)
	@mkdir -p $(@D)
	$(NODE) tools/bundle.mjs --arch $* $@ $(KERNEL_TS_$*)

build/%/mm.porf.c: build/%/mm.ts | $(SETUP_STAMP)
	$(PORF) c --module --valtype=i32 $< $@ >/dev/null

build/%/mm.c: build/%/mm.porf.c tools/freestanding.mjs
	$(NODE) tools/freestanding.mjs $< $@

build/%/mm.h: build/%/mm.ts build/%/mm.c tools/c-header.mjs
	$(NODE) tools/c-header.mjs build/$*/mm.ts build/$*/mm.c $@

build/%/mm.o: build/%/mm.c boot/common/glue.h
	$(CC) $(CFLAGS_$*) $(GENERATED_C_WARNINGS) -c $< -o $@

build/i386/checks/%.o: test/kernel/common/%.c build/i386/mm.h $(KERNEL_CHECKS_H) boot/common/glue.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_i386) -Ibuild/i386 -c $< -o $@
build/x86-64/checks/%.o: test/kernel/common/%.c build/x86-64/mm.h $(KERNEL_CHECKS_H) boot/common/glue.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_x86-64) -Ibuild/x86-64 -c $< -o $@

build/i386/kernel.elf: $(BOOT_OBJS_I386) build/i386/mm.o $(CHECK_OBJS_i386) $(BOOT_LDSCRIPT_I386)
	$(BOOT_LD) $(LDFLAGS_I386) -o $@ $(filter %.o,$^)
build/x86-64/kernel.elf: $(BOOT_OBJS_X86_64) build/x86-64/mm.o $(CHECK_OBJS_x86-64) $(BOOT_LDSCRIPT_X86_64)
	$(BOOT_LD) $(LDFLAGS_X86_64) -o $@ $(filter %.o,$^)

$(eval $(call boot_iso,build/iso/i386.iso,build/i386/kernel.elf,))
$(eval $(call boot_iso,build/iso/i386-pae.iso,build/i386/kernel.elf,pae))
$(eval $(call boot_iso,build/iso/x86-64.iso,build/x86-64/kernel.elf,))
$(eval $(call boot_iso,build/iso/x86-64-la57.iso,build/x86-64/kernel.elf,la57))
# the same kernels reaching page tables through the recursive self-map after init
$(eval $(call boot_iso,build/iso/i386-recursive.iso,build/i386/kernel.elf,recursive))
$(eval $(call boot_iso,build/iso/x86-64-recursive.iso,build/x86-64/kernel.elf,recursive))
$(eval $(call boot_iso,build/iso/x86-64-la57-recursive.iso,build/x86-64/kernel.elf,la57 recursive))

run: kernels
	$(NODE) node_modules/.bin/tsx tools/run-kernels.ts

lint: | $(SETUP_STAMP)
	node_modules/.bin/eslint --no-error-on-unmatched-pattern src arch test/kernel
	node_modules/.bin/tsc --noEmit -p tsconfig.json

test: kernels
	@set +e; node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=build/test-report.json; \
	  $(NODE) tools/test-summary.mjs build/test-report.json

# Benchmarks print figures measured side by side in one run; they never fail on a slow day.
bench: | $(SETUP_STAMP)
	$(NODE) node_modules/.bin/tsx tools/bench.ts

clean:
	rm -rf build
