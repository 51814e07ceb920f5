// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of scst.ko: exports of the Rust entry points (so that other
 * modules link against them), module parameters, and this module's copy of
 * the rust/ helpers.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/srcu.h>

#include "../rust/helpers.c"

struct scst_tgt_template;
struct scst_dev_type;

/* Defined in exports.rs. */
int scst_register_target_template(const struct scst_tgt_template *tmpl,
				  struct module *owner, u64 version);
void scst_unregister_target_template(const struct scst_tgt_template *tmpl);
int scst_register_dev_driver(const struct scst_dev_type *dev_type,
			     struct module *owner, u64 version);
void scst_unregister_dev_driver(const struct scst_dev_type *dev_type);
int scst_register_virtual_device(const struct scst_dev_type *dev_type,
				 const char *name);
void scst_unregister_virtual_device(int id);
int scst_unregister_virtual_device_unused(int id);
void scst_dev_unit_attention(int id, u8 asc, u8 ascq);
void *scst_proc_get_dev_type_root(const struct scst_dev_type *dev_type);
struct scst_tgt;
struct scst_session;
struct scst_tgt *scst_register_target(const struct scst_tgt_template *tmpl,
				      const char *name);
void scst_unregister_target(struct scst_tgt *tgt);
struct scst_session *scst_register_session(struct scst_tgt *tgt,
					   const char *initiator);
void scst_unregister_session(struct scst_session *sess);
int scst_sess_set_tgt_priv(struct scst_session *sess, void *priv);
void *scst_sess_get_tgt_priv(struct scst_session *sess);

EXPORT_SYMBOL_GPL(scst_register_target_template);
EXPORT_SYMBOL_GPL(scst_unregister_target_template);
EXPORT_SYMBOL_GPL(scst_register_dev_driver);
EXPORT_SYMBOL_GPL(scst_unregister_dev_driver);
EXPORT_SYMBOL_GPL(scst_register_virtual_device);
EXPORT_SYMBOL_GPL(scst_unregister_virtual_device);
EXPORT_SYMBOL_GPL(scst_unregister_virtual_device_unused);
EXPORT_SYMBOL_GPL(scst_dev_unit_attention);
EXPORT_SYMBOL_GPL(scst_proc_get_dev_type_root);
EXPORT_SYMBOL_GPL(scst_register_target);
EXPORT_SYMBOL_GPL(scst_unregister_target);
EXPORT_SYMBOL_GPL(scst_register_session);
EXPORT_SYMBOL_GPL(scst_unregister_session);
EXPORT_SYMBOL_GPL(scst_sess_set_tgt_priv);
EXPORT_SYMBOL_GPL(scst_sess_get_tgt_priv);

/* Commands (exports.rs); the C prototypes only need to exist for export. */
struct scst_cmd;
struct scst_cmd *scst_rx_cmd(struct scst_session *sess, const u8 *lun, u32 lun_len,
			     const u8 *cdb, u32 cdb_len, void *tgt_priv, bool atomic);
void scst_cmd_set_expected(struct scst_cmd *cmd, u32 dir, u32 len);
void scst_cmd_set_queue_type(struct scst_cmd *cmd, int queue_type);
void scst_cmd_init_done(struct scst_cmd *cmd, int pref_context);
s64 scst_cmd_get_resid(struct scst_cmd *cmd);
void *scst_cmd_get_tgt_priv(struct scst_cmd *cmd);
const u8 *scst_cmd_get_cdb(struct scst_cmd *cmd, u32 *len);
int scst_cmd_get_dev_id(struct scst_cmd *cmd);
int scst_cmd_decode(struct scst_cmd *cmd, u32 block_size);
u32 scst_cmd_get_data_direction(struct scst_cmd *cmd);
u8 *scst_cmd_get_buffer(struct scst_cmd *cmd, u32 *len);
void scst_cmd_lend_buffer(struct scst_cmd *cmd);
bool scst_cmd_atomic(struct scst_cmd *cmd);
int scst_cmd_context(struct scst_cmd *cmd);
struct scatterlist;
void scst_cmd_set_tgt_sg(struct scst_cmd *cmd, struct scatterlist *sg, u32 nents, u32 len);
void scst_cmd_allow_tgt_sg(struct scst_cmd *cmd);
void scst_cmd_set_fills_data(struct scst_cmd *cmd);
void scst_cmd_set_exec_nowait(struct scst_cmd *cmd);
struct scatterlist *scst_cmd_get_tgt_sg(struct scst_cmd *cmd, u32 *nents, u32 *len);
void scst_cmd_set_resp_data_len(struct scst_cmd *cmd, u32 len);
u32 scst_cmd_get_resp_data_len(struct scst_cmd *cmd);
u8 scst_cmd_get_status(struct scst_cmd *cmd);
const u8 *scst_cmd_get_sense(struct scst_cmd *cmd, u32 *len);
void scst_set_cmd_error(struct scst_cmd *cmd, u8 key, u8 asc, u8 ascq);
void scst_cmd_set_status(struct scst_cmd *cmd, u8 status, const u8 *sense, u32 len);
void scst_rx_data(struct scst_cmd *cmd, int status, int pref_context);
void scst_cmd_done(struct scst_cmd *cmd, int pref_context);
void scst_tgt_cmd_done(struct scst_cmd *cmd, int pref_context);
bool scst_cmd_aborted(struct scst_cmd *cmd);
void *scst_cmd_get_dev_priv(struct scst_cmd *cmd);
bool scst_cmd_lun_read_only(struct scst_cmd *cmd);
void *scst_cmd_get_tgt_dev_priv(struct scst_cmd *cmd);
void *scst_proc_get_tgt_root(const struct scst_tgt_template *tmpl);
void scst_cmd_mode_params_changed(struct scst_cmd *cmd);
struct scst_device;
int scst_dev_get_id(struct scst_device *dev);
const char *scst_dev_get_name(struct scst_device *dev);
void *scst_dev_get_scsi_device(struct scst_device *dev);
void scst_dev_set_priv(struct scst_device *dev, void *p);
void scst_dev_set_nowait(struct scst_device *dev);
void scst_dev_set_nowait_reads(struct scst_device *dev);
void scst_dev_set_nowait_writes(struct scst_device *dev);
void *scst_dev_get_priv(struct scst_device *dev);
const struct scst_dev_type *scst_dev_get_dev_type(struct scst_device *dev);
int scst_rx_mgmt_fn_sync(struct scst_session *sess, int func, const u8 *lun, void *tag);
struct scst_mgmt_cmd;
struct scst_tgt_dev;
int scst_rx_mgmt_fn(struct scst_session *sess, int func, const u8 *lun, void *tag, void *tgt_priv);
int scst_mgmt_cmd_get_fn(struct scst_mgmt_cmd *m);
int scst_mgmt_cmd_get_status(struct scst_mgmt_cmd *m);
void *scst_mgmt_cmd_get_tgt_priv(struct scst_mgmt_cmd *m);
int scst_register_session_async(struct scst_tgt *tgt, const char *initiator, void *data,
				void (*result)(struct scst_session *sess, void *data, int result));
int scst_unregister_session_async(struct scst_session *sess, void *data, void (*gone)(void *data));
u64 scst_tgt_dev_get_lun(struct scst_tgt_dev *t);
int scst_tgt_dev_get_dev_id(struct scst_tgt_dev *t);
const char *scst_tgt_dev_get_initiator(struct scst_tgt_dev *t);
void scst_tgt_dev_set_priv(struct scst_tgt_dev *t, void *p);
void *scst_tgt_dev_get_priv(struct scst_tgt_dev *t);
void *scst_tgt_dev_get_dev_priv(struct scst_tgt_dev *t);

EXPORT_SYMBOL_GPL(scst_rx_cmd);
EXPORT_SYMBOL_GPL(scst_cmd_set_expected);
EXPORT_SYMBOL_GPL(scst_cmd_set_queue_type);
EXPORT_SYMBOL_GPL(scst_cmd_init_done);
EXPORT_SYMBOL_GPL(scst_cmd_get_resid);
EXPORT_SYMBOL_GPL(scst_cmd_get_tgt_priv);
EXPORT_SYMBOL_GPL(scst_cmd_get_cdb);
EXPORT_SYMBOL_GPL(scst_cmd_get_dev_id);
EXPORT_SYMBOL_GPL(scst_cmd_decode);
EXPORT_SYMBOL_GPL(scst_cmd_get_data_direction);
EXPORT_SYMBOL_GPL(scst_cmd_get_buffer);
EXPORT_SYMBOL_GPL(scst_cmd_lend_buffer);
EXPORT_SYMBOL_GPL(scst_cmd_atomic);
EXPORT_SYMBOL_GPL(scst_cmd_context);
EXPORT_SYMBOL_GPL(scst_cmd_set_tgt_sg);
EXPORT_SYMBOL_GPL(scst_cmd_allow_tgt_sg);
EXPORT_SYMBOL_GPL(scst_cmd_set_fills_data);
EXPORT_SYMBOL_GPL(scst_cmd_set_exec_nowait);
EXPORT_SYMBOL_GPL(scst_cmd_get_tgt_sg);
EXPORT_SYMBOL_GPL(scst_cmd_set_resp_data_len);
EXPORT_SYMBOL_GPL(scst_cmd_get_resp_data_len);
EXPORT_SYMBOL_GPL(scst_cmd_get_status);
EXPORT_SYMBOL_GPL(scst_cmd_get_sense);
EXPORT_SYMBOL_GPL(scst_set_cmd_error);
EXPORT_SYMBOL_GPL(scst_cmd_set_status);
EXPORT_SYMBOL_GPL(scst_rx_data);
EXPORT_SYMBOL_GPL(scst_cmd_done);
EXPORT_SYMBOL_GPL(scst_cmd_get_dev_priv);
EXPORT_SYMBOL_GPL(scst_cmd_lun_read_only);
EXPORT_SYMBOL_GPL(scst_cmd_get_tgt_dev_priv);
EXPORT_SYMBOL_GPL(scst_proc_get_tgt_root);
EXPORT_SYMBOL_GPL(scst_cmd_mode_params_changed);
EXPORT_SYMBOL_GPL(scst_dev_get_id);
EXPORT_SYMBOL_GPL(scst_dev_get_name);
EXPORT_SYMBOL_GPL(scst_dev_get_scsi_device);
EXPORT_SYMBOL_GPL(scst_dev_set_priv);
EXPORT_SYMBOL_GPL(scst_dev_set_nowait);
EXPORT_SYMBOL_GPL(scst_dev_set_nowait_reads);
EXPORT_SYMBOL_GPL(scst_dev_set_nowait_writes);
EXPORT_SYMBOL_GPL(scst_dev_get_priv);
EXPORT_SYMBOL_GPL(scst_dev_get_dev_type);
EXPORT_SYMBOL_GPL(scst_tgt_cmd_done);
EXPORT_SYMBOL_GPL(scst_cmd_aborted);
EXPORT_SYMBOL_GPL(scst_rx_mgmt_fn_sync);
EXPORT_SYMBOL_GPL(scst_rx_mgmt_fn);
EXPORT_SYMBOL_GPL(scst_mgmt_cmd_get_fn);
EXPORT_SYMBOL_GPL(scst_mgmt_cmd_get_status);
EXPORT_SYMBOL_GPL(scst_mgmt_cmd_get_tgt_priv);
EXPORT_SYMBOL_GPL(scst_register_session_async);
EXPORT_SYMBOL_GPL(scst_unregister_session_async);
EXPORT_SYMBOL_GPL(scst_tgt_dev_get_lun);
EXPORT_SYMBOL_GPL(scst_tgt_dev_get_dev_id);
EXPORT_SYMBOL_GPL(scst_tgt_dev_get_initiator);
EXPORT_SYMBOL_GPL(scst_tgt_dev_set_priv);
EXPORT_SYMBOL_GPL(scst_tgt_dev_get_priv);
EXPORT_SYMBOL_GPL(scst_tgt_dev_get_dev_priv);

static int scst_threads;
module_param(scst_threads, int, 0444);
MODULE_PARM_DESC(scst_threads, "SCSI target threads count (0 = one per online CPU)");

static unsigned int scst_max_cmd_mem;
module_param(scst_max_cmd_mem, uint, 0444);
MODULE_PARM_DESC(scst_max_cmd_mem,
		 "Maximum memory allowed to be consumed by all SCSI commands being processed at any given time, in MB (0 = a quarter of RAM)");

int scst_glue_threads(void);
unsigned int scst_glue_max_cmd_mem(void);

int scst_glue_threads(void)
{
	return scst_threads;
}

unsigned int scst_glue_max_cmd_mem(void)
{
	return scst_max_cmd_mem;
}

/*
 * Handlers' exec callbacks run inside this SRCU read section (core/cmd/mod.rs
 * `execute`): a device leaving waits for the ones running
 * (core/tm.rs `wait_device_idle`), whose command may already be answered
 * and gone from the task sets while exec returns, before its handler's
 * detach frees the device's data.
 */
DEFINE_STATIC_SRCU(scst_exec_srcu);

int scst_glue_exec_enter(void);
void scst_glue_exec_exit(int idx);
void scst_glue_exec_sync(void);

int scst_glue_exec_enter(void)
{
	return srcu_read_lock(&scst_exec_srcu);
}

void scst_glue_exec_exit(int idx)
{
	srcu_read_unlock(&scst_exec_srcu, idx);
}

void scst_glue_exec_sync(void)
{
	synchronize_srcu(&scst_exec_srcu);
}
