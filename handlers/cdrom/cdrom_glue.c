// SPDX-License-Identifier: GPL-2.0
/* rust/ helpers for scst_cdrom. */
#include <linux/module.h>

#include "../../rust/helpers.c"
