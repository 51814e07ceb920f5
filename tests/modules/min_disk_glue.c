// SPDX-License-Identifier: GPL-2.0
/* rust/ helpers for scst_min_disk. */
#include <linux/module.h>

#include "../../rust/helpers.c"
