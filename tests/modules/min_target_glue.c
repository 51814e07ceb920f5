// SPDX-License-Identifier: GPL-2.0
/* rust/ helpers for scst_min_target. */
#include <linux/module.h>

#include "../../rust/helpers.c"
