# boot/boot.mk - the boot glue's build: compiler and linker flags, the glue's objects, and GRUB
# ISOs. A fragment: the top-level Makefile includes it (paths are relative to the repository root).
#
# Defines
#   BOOT_CFLAGS_I386, BOOT_CFLAGS_X86_64  gcc flags for freestanding kernel C and assembly of that
#                                         architecture (the kernel's own objects may use them too;
#                                         they carry -I for boot/common, where glue.h is)
#   LDFLAGS_I386, LDFLAGS_X86_64          ld flags, linker script included
#   BOOT_LDSCRIPT_I386, _X86_64           the linker scripts (for prerequisites)
#   BOOT_OBJS_I386, BOOT_OBJS_X86_64      the glue's objects: $(BOOT_BUILD)/<arch>/boot/...
#   boot_iso                              a macro that defines the rule for one GRUB ISO
#   BOOT_CC, BOOT_LD, BOOT_BUILD          gcc, ld, build (override if needed)
#
# Use from the top-level Makefile:
#
#   include boot/boot.mk
#
#   build/i386/kernel-%.elf: $(BOOT_OBJS_I386) build/i386/mm.o build/i386/checks-%.o $(BOOT_LDSCRIPT_I386)
#   	$(BOOT_LD) $(LDFLAGS_I386) -o $@ $(filter %.o,$^)
#   build/x86-64/kernel-%.elf: $(BOOT_OBJS_X86_64) build/x86-64/mm.o build/x86-64/checks-%.o $(BOOT_LDSCRIPT_X86_64)
#   	$(BOOT_LD) $(LDFLAGS_X86_64) -o $@ $(filter %.o,$^)
#
#   # $(call boot_iso,<iso>,<kernel elf>,<command line>) - the command line may be empty
#   $(eval $(call boot_iso,build/iso/i386.iso,build/i386/kernel-first-light.elf,))
#   $(eval $(call boot_iso,build/iso/x86-64.iso,build/x86-64/kernel-first-light.elf,))
#   $(eval $(call boot_iso,build/iso/x86-64-la57.iso,build/x86-64/kernel-first-light.elf,la57))
#
# Each ISO rule checks the ELF with grub-file --is-x86-multiboot2, writes boot/grub/grub.cfg
# with @CMDLINE@ replaced, and runs grub-mkrescue (BIOS GRUB only) in a scratch directory under
# $(BOOT_BUILD)/iso-tmp/. Command lines are plain words: no '|', '&' or '\' (they go through sed).
# Needs grub-pc-bin, grub-common, xorriso (and mtools) installed.

BOOT_CC ?= gcc
BOOT_LD ?= ld
BOOT_BUILD ?= build

BOOT_CFLAGS_COMMON := -O2 -ffreestanding -nostdlib -fno-pic -fno-pie -fno-stack-protector \
  -mgeneral-regs-only -fno-asynchronous-unwind-tables -Wall -Wextra -Werror -Iboot/common
BOOT_CFLAGS_I386 := $(BOOT_CFLAGS_COMMON) -m32 -march=i686 -Iboot/i386
BOOT_CFLAGS_X86_64 := $(BOOT_CFLAGS_COMMON) -m64 -mcmodel=kernel -mno-red-zone -Iboot/x86-64

BOOT_LDSCRIPT_I386 := linker/i386.ld
BOOT_LDSCRIPT_X86_64 := linker/x86-64.ld
LDFLAGS_I386 := -m elf_i386 -T $(BOOT_LDSCRIPT_I386) -z max-page-size=0x1000 -nostdlib
LDFLAGS_X86_64 := -m elf_x86_64 -T $(BOOT_LDSCRIPT_X86_64) -z max-page-size=0x1000 -nostdlib

# Objects: boot/common/X.{c,S} -> <arch>/boot/common/X.o, boot/<arch>/X.{c,S} -> <arch>/boot/arch/X.o
# (two directories, so a common and an architecture file may share a name).
boot_objs = $(patsubst boot/common/%,$(BOOT_BUILD)/$(1)/boot/common/%.o,$(basename $(wildcard boot/common/*.c boot/common/*.S))) \
  $(patsubst boot/$(1)/%,$(BOOT_BUILD)/$(1)/boot/arch/%.o,$(basename $(wildcard boot/$(1)/*.c boot/$(1)/*.S)))
BOOT_OBJS_I386 := $(call boot_objs,i386)
BOOT_OBJS_X86_64 := $(call boot_objs,x86-64)

# -MMD -MP: header dependencies, read back below. --noexecstack: assembly files do not ask for
# an executable stack (ld warns otherwise).
BOOT_DEPFLAGS := -MMD -MP -Wa,--noexecstack

$(BOOT_BUILD)/i386/boot/common/%.o: boot/common/%.c
	@mkdir -p $(@D)
	$(BOOT_CC) $(BOOT_CFLAGS_I386) $(BOOT_DEPFLAGS) -c $< -o $@
$(BOOT_BUILD)/i386/boot/common/%.o: boot/common/%.S
	@mkdir -p $(@D)
	$(BOOT_CC) $(BOOT_CFLAGS_I386) $(BOOT_DEPFLAGS) -c $< -o $@
$(BOOT_BUILD)/i386/boot/arch/%.o: boot/i386/%.c
	@mkdir -p $(@D)
	$(BOOT_CC) $(BOOT_CFLAGS_I386) $(BOOT_DEPFLAGS) -c $< -o $@
$(BOOT_BUILD)/i386/boot/arch/%.o: boot/i386/%.S
	@mkdir -p $(@D)
	$(BOOT_CC) $(BOOT_CFLAGS_I386) $(BOOT_DEPFLAGS) -c $< -o $@

$(BOOT_BUILD)/x86-64/boot/common/%.o: boot/common/%.c
	@mkdir -p $(@D)
	$(BOOT_CC) $(BOOT_CFLAGS_X86_64) $(BOOT_DEPFLAGS) -c $< -o $@
$(BOOT_BUILD)/x86-64/boot/common/%.o: boot/common/%.S
	@mkdir -p $(@D)
	$(BOOT_CC) $(BOOT_CFLAGS_X86_64) $(BOOT_DEPFLAGS) -c $< -o $@
$(BOOT_BUILD)/x86-64/boot/arch/%.o: boot/x86-64/%.c
	@mkdir -p $(@D)
	$(BOOT_CC) $(BOOT_CFLAGS_X86_64) $(BOOT_DEPFLAGS) -c $< -o $@
$(BOOT_BUILD)/x86-64/boot/arch/%.o: boot/x86-64/%.S
	@mkdir -p $(@D)
	$(BOOT_CC) $(BOOT_CFLAGS_X86_64) $(BOOT_DEPFLAGS) -c $< -o $@

-include $(BOOT_OBJS_I386:.o=.d) $(BOOT_OBJS_X86_64:.o=.d)

BOOT_GRUB_CFG := boot/grub/grub.cfg
BOOT_GRUB_PLATFORM := /usr/lib/grub/i386-pc

# $(call boot_iso,<iso>,<kernel elf>,<command line>): the rule that builds <iso>.
define boot_iso
$(1): $(2) $(BOOT_GRUB_CFG) boot/boot.mk
	grub-file --is-x86-multiboot2 $(2) || { echo "$(2): no valid Multiboot2 header" >&2; exit 1; }
	rm -rf $(BOOT_BUILD)/iso-tmp/$(notdir $(1))
	mkdir -p $(BOOT_BUILD)/iso-tmp/$(notdir $(1))/boot/grub $(dir $(1))
	cp $(2) $(BOOT_BUILD)/iso-tmp/$(notdir $(1))/boot/kernel.elf
	sed 's|@CMDLINE@|$(3)|' $(BOOT_GRUB_CFG) > $(BOOT_BUILD)/iso-tmp/$(notdir $(1))/boot/grub/grub.cfg
	grub-mkrescue -d $(BOOT_GRUB_PLATFORM) -o $(1) $(BOOT_BUILD)/iso-tmp/$(notdir $(1)) \
	  > $(BOOT_BUILD)/iso-tmp/$(notdir $(1)).log 2>&1 \
	  || { cat $(BOOT_BUILD)/iso-tmp/$(notdir $(1)).log >&2; exit 1; }
	rm -rf $(BOOT_BUILD)/iso-tmp/$(notdir $(1)) $(BOOT_BUILD)/iso-tmp/$(notdir $(1)).log
	rmdir $(BOOT_BUILD)/iso-tmp 2>/dev/null || true
endef

# The objects are built through pattern rules only, so make would delete them as intermediates:
# the including Makefile declares `.SECONDARY:` with no prerequisites (every target kept). A list
# here would turn that off for every other file (GNU make honours either form, not both).
