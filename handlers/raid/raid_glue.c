// SPDX-License-Identifier: GPL-2.0
/* rust/ helpers for scst_raid. */
#include <linux/module.h>

#include "../../rust/helpers.c"
