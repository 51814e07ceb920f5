// SPDX-License-Identifier: GPL-2.0
/* rust/ helpers for scst_processor. */
#include <linux/module.h>

#include "../../rust/helpers.c"
