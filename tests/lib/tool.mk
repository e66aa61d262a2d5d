# SPDX-License-Identifier: GPL-2.0
# A test tool built from one source file, $(PROG).c, and tests/lib (raw
# generic netlink, PCI function state, seeded randomness).  A tool's
# Makefile sets PROG and includes this; `make`, `make $(PROG)`, `make clean`.

LIB := ../lib
UAPI := ../../include/uapi

CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	  -Wmissing-prototypes -Wstrict-prototypes -D_GNU_SOURCE \
	  -I$(UAPI) -I$(LIB)

LIBSRC := $(LIB)/rawnl.c $(LIB)/pcifn.c $(LIB)/rnd.c

all: $(PROG)

$(PROG): $(PROG).c $(LIBSRC) $(LIBSRC:.c=.h) $(UAPI)/linux/gpupt.h
	$(CC) $(CFLAGS) -o $@ $(filter %.c,$^)

clean:
	rm -f $(PROG)

.PHONY: all clean
