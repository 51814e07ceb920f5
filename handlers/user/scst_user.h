/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scst_user: SCSI devices implemented by user-space programs.
 *
 * The interface of /dev/scst_user, for the programs that drive it
 * (fileio_tgt, or your own).  Names, layouts and ioctl numbers are those
 * of SCST 3.x's scst_user.h; the version string (DEV_USER_VERSION) is
 * ours and is checked by SCST_USER_REGISTER_DEVICE.  SCST's programs also
 * take data directions, sense macros and task management codes from
 * SCST's scst_const.h, which this project does not provide yet.  The kernel side's definitions
 * are handlers/user/abi.rs; a host test compares every size and offset.
 * docs/scst_user.md describes the protocol.
 */
#ifndef __SCST_USER_H
#define __SCST_USER_H

#include <stdint.h>
#include <linux/ioctl.h>

#define DEV_USER_NAME			"scst_user"
#define DEV_USER_PATH			"/dev/"
/* What REGISTER_DEVICE's version_str must point to (NUL-terminated). */
#define DEV_USER_VERSION		"scst-rs user interface 1"

#define SCST_MAX_CDB_SIZE		16
#define SCST_MAX_NAME			50
#define SCST_MAX_EXTERNAL_NAME		256

/* scst_user_opt.parse_type: who answers PARSE. */
#define SCST_USER_PARSE_STANDARD	0	/* the kernel, from its CDB tables */
#define SCST_USER_PARSE_CALL		1	/* always the program */
#define SCST_USER_PARSE_EXCEPTION	2	/* the program, for CDBs the kernel does not know */
#define SCST_USER_MAX_PARSE_OPT		SCST_USER_PARSE_EXCEPTION

/* scst_user_opt.on_free_cmd_type: whether ON_FREE_CMD is sent. */
#define SCST_USER_ON_FREE_CMD_CALL	0
#define SCST_USER_ON_FREE_CMD_IGNORE	1
#define SCST_USER_MAX_ON_FREE_CMD_OPT	SCST_USER_ON_FREE_CMD_IGNORE

/* scst_user_opt.memory_reuse_type: which data buffers are cached. */
#define SCST_USER_MEM_NO_REUSE		0
#define SCST_USER_MEM_REUSE_READ	1
#define SCST_USER_MEM_REUSE_WRITE	2
#define SCST_USER_MEM_REUSE_ALL		3
#define SCST_USER_MAX_MEM_REUSE_OPT	SCST_USER_MEM_REUSE_ALL

/* scst_user_opt.partial_transfers_type. */
#define SCST_USER_PARTIAL_TRANSFERS_NOT_SUPPORTED	0
#define SCST_USER_PARTIAL_TRANSFERS_SUPPORTED_ORDERED	1
#define SCST_USER_PARTIAL_TRANSFERS_SUPPORTED		2
#define SCST_USER_MAX_PARTIAL_TRANSFERS_OPT		SCST_USER_PARTIAL_TRANSFERS_SUPPORTED

#ifndef aligned_u64
#define aligned_u64 uint64_t __attribute__((aligned(8)))
#endif
#ifndef aligned_i64
#define aligned_i64 int64_t __attribute__((aligned(8)))
#endif

/* The stages of a command, which the subcodes below are built from. */
#define UCMD_STATE_NEW			0
#define UCMD_STATE_PARSING		1
#define UCMD_STATE_BUF_ALLOCING		2
#define UCMD_STATE_EXECING		3
#define UCMD_STATE_ON_FREEING		4
#define UCMD_STATE_ON_CACHE_FREEING	5
#define UCMD_STATE_EXT_COPY_REMAPPING	6
#define UCMD_STATE_ON_FREE_SKIPPED	7
#define UCMD_STATE_TM_RECEIVED_EXECING	8
#define UCMD_STATE_TM_DONE_EXECING	9
#define UCMD_STATE_ATTACH_SESS		0x20
#define UCMD_STATE_DETACH_SESS		0x21

/* A device's options (REGISTER_DEVICE, SET_OPTIONS, GET_OPTIONS). */
struct scst_user_opt {
	uint8_t parse_type;
	uint8_t on_free_cmd_type;
	uint8_t memory_reuse_type;
	uint8_t partial_transfers_type;
	int32_t partial_len;

	/* The control mode page's fields (SPC-4 7.5.8). */
	uint8_t tst;
	uint8_t tmf_only;
	uint8_t queue_alg;
	uint8_t qerr;
	uint8_t tas;
	uint8_t swp;
	uint8_t d_sense;

	uint8_t has_own_order_mgmt;
	uint8_t ext_copy_remap_supported;
};

/* SCST_USER_REGISTER_DEVICE's argument. */
struct scst_user_dev_desc {
	aligned_u64 version_str;	/* points to DEV_USER_VERSION */
	aligned_u64 license_str;	/* points to e.g. "GPL" */
	uint8_t type;			/* SCSI peripheral device type */
	uint8_t sgv_shared;
	uint8_t sgv_disable_clustered_pool;
	int32_t sgv_single_alloc_pages;
	int32_t sgv_purge_interval;
	struct scst_user_opt opt;
	uint32_t block_size;
	uint8_t enable_pr_cmds_notifications;
	char name[SCST_MAX_NAME];
	char sgv_name[SCST_MAX_NAME];
};

/* ATTACH_SESS / DETACH_SESS: a session sees the device at a LUN. */
struct scst_user_sess {
	aligned_u64 sess_h;
	aligned_u64 lun;
	uint16_t threads_num;
	uint8_t rd_only;
	uint16_t scsi_transport_version;
	uint16_t phys_transport_version;
	char initiator_name[SCST_MAX_EXTERNAL_NAME];
	char target_name[SCST_MAX_EXTERNAL_NAME];
};

/* PARSE: the program decides the command's transfer. */
struct scst_user_scsi_cmd_parse {
	aligned_u64 sess_h;
	uint8_t cdb[SCST_MAX_CDB_SIZE];
	uint16_t cdb_len;
	aligned_i64 lba;
	aligned_i64 data_len;
	int32_t bufflen;
	int32_t out_bufflen;
	int32_t timeout;
	uint32_t op_flags;
	uint8_t queue_type;
	uint8_t data_direction;
	uint8_t expected_values_set;
	uint8_t expected_data_direction;
	int32_t expected_transfer_len;
	int32_t expected_out_transfer_len;
	uint32_t sn;
};

/* ALLOC_MEM: the program gives the data buffer. */
struct scst_user_scsi_cmd_alloc_mem {
	aligned_u64 sess_h;
	uint8_t cdb[SCST_MAX_CDB_SIZE];
	uint16_t cdb_len;
	int32_t alloc_len;
	uint8_t queue_type;
	uint8_t data_direction;
	uint32_t sn;
};

/* EXEC: the program performs the command. */
struct scst_user_scsi_cmd_exec {
	aligned_u64 sess_h;
	uint8_t cdb[SCST_MAX_CDB_SIZE];
	uint16_t cdb_len;
	aligned_i64 lba;
	aligned_i64 data_len;
	int32_t bufflen;
	int32_t alloc_len;
	aligned_u64 pbuf;
	uint8_t queue_type;
	uint8_t data_direction;
	uint8_t partial;
	int32_t timeout;
	aligned_u64 p_out_buf;
	int32_t out_bufflen;
	uint32_t sn;
	uint32_t parent_cmd_h;
	int32_t parent_cmd_data_len;
	uint32_t partial_offset;
};

/* ON_FREE_CMD: the command is done; its buffer may be reused. */
struct scst_user_scsi_on_free_cmd {
	aligned_u64 pbuf;
	int32_t resp_data_len;
	uint8_t buffer_cached;
	uint8_t aborted;
	uint8_t status;
	uint8_t delivery_status;
};

/* ON_CACHED_MEM_FREE: a cached buffer is no longer used by the kernel. */
struct scst_user_on_cached_mem_free {
	aligned_u64 pbuf;
};

/* TASK_MGMT_RECEIVED / TASK_MGMT_DONE. */
struct scst_user_tm {
	aligned_u64 sess_h;
	uint32_t fn;
	uint32_t cmd_h_to_abort;
	uint32_t cmd_sn;
	uint8_t cmd_sn_set;
};

struct scst_user_ext_copy_data_descr {
	aligned_u64 src_lba;
	aligned_u64 dst_lba;
	int32_t data_len;	/* bytes */
};

/* EXT_COPY_REMAP (only with opt.ext_copy_remap_supported). */
struct scst_user_ext_copy_remap {
	aligned_u64 sess_h;
	aligned_u64 src_sess_h;
	aligned_u64 dst_sess_h;
	struct scst_user_ext_copy_data_descr data_descr;
};

/* SCST_USER_REPLY_AND_GET_CMD: in, preply (0: no reply); out, the next
 * command, named by cmd_h, of kind subcode. */
struct scst_user_get_cmd {
	uint32_t cmd_h;
	uint32_t subcode;
	union {
		aligned_u64 preply;
		struct scst_user_sess sess;
		struct scst_user_scsi_cmd_parse parse_cmd;
		struct scst_user_scsi_cmd_alloc_mem alloc_cmd;
		struct scst_user_scsi_cmd_exec exec_cmd;
		struct scst_user_scsi_on_free_cmd on_free_cmd;
		struct scst_user_on_cached_mem_free on_cached_mem_free;
		struct scst_user_tm tm_cmd;
		struct scst_user_ext_copy_remap remap_cmd;
	};
};

struct scst_user_scsi_cmd_reply_parse {
	uint8_t status;	/* 0: the fields below; else that status and sense */
	union {
		struct {
			uint8_t queue_type;
			uint8_t data_direction;
			uint16_t cdb_len;
			aligned_i64 lba;
			aligned_i64 data_len;
			int32_t bufflen;
			uint32_t op_flags;
			int32_t out_bufflen;
		};
		struct {
			uint8_t sense_len;
			aligned_u64 psense_buffer;
		};
	};
};

struct scst_user_scsi_cmd_reply_alloc_mem {
	aligned_u64 pbuf;
};

/* A WRITE SAME range, as the program asks the kernel to do it. */
struct scst_user_data_descriptor {
	aligned_u64 usdd_lba;
	aligned_u64 usdd_blocks;
};

#define SCST_EXEC_REPLY_BACKGROUND	0
#define SCST_EXEC_REPLY_COMPLETED	1
#define SCST_EXEC_REPLY_DO_WRITE_SAME	2

struct scst_user_scsi_cmd_reply_exec {
	int32_t resp_data_len;
	aligned_u64 pbuf;
	uint8_t reply_type;
	uint8_t status;
	union {
		struct {
			uint8_t sense_len;
			aligned_u64 psense_buffer;
		};
		struct {
			uint16_t ws_descriptors_len;
			aligned_u64 ws_descriptors;
		};
	};
};

struct scst_user_ext_copy_reply_remap {
	aligned_u64 remap_descriptors;
	uint16_t remap_descriptors_len;
	uint8_t status;
	uint8_t sense_len;
	aligned_u64 psense_buffer;
};

/* The answer to the command cmd_h of kind subcode. */
struct scst_user_reply_cmd {
	uint32_t cmd_h;
	uint32_t subcode;
	union {
		int32_t result;
		struct scst_user_scsi_cmd_reply_parse parse_reply;
		struct scst_user_scsi_cmd_reply_alloc_mem alloc_reply;
		struct scst_user_scsi_cmd_reply_exec exec_reply;
		struct scst_user_ext_copy_reply_remap remap_reply;
	};
};

/* SCST_USER_GET_EXTENDED_CDB: the CDB bytes beyond SCST_MAX_CDB_SIZE. */
struct scst_user_get_ext_cdb {
	uint32_t cmd_h;
	aligned_u64 ext_cdb_buffer;
};

struct scst_user_prealloc_buffer_in {
	aligned_u64 pbuf;
	uint32_t bufflen;
	uint8_t for_clust_pool;
};

struct scst_user_prealloc_buffer_out {
	uint32_t cmd_h;
};

union scst_user_prealloc_buffer {
	struct scst_user_prealloc_buffer_in in;
	struct scst_user_prealloc_buffer_out out;
};

/* SCST_USER_REPLY_AND_GET_MULTI: replies_cnt replies at preplies in,
 * up to cmds_cnt commands out. */
struct scst_user_get_multi {
	aligned_u64 preplies;
	int16_t replies_cnt;
	int16_t replies_done;
	int16_t cmds_cnt;
	int16_t pad;
	struct scst_user_get_cmd cmds[];
};

#define SCST_USER_REGISTER_DEVICE	_IOW('u', 1, struct scst_user_dev_desc)
#define SCST_USER_UNREGISTER_DEVICE	_IO('u', 2)
#define SCST_USER_SET_OPTIONS		_IOW('u', 3, struct scst_user_opt)
#define SCST_USER_GET_OPTIONS		_IOR('u', 4, struct scst_user_opt)
#define SCST_USER_REPLY_AND_GET_CMD	_IOWR('u', 5, struct scst_user_get_cmd)
#define SCST_USER_REPLY_CMD		_IOW('u', 6, struct scst_user_reply_cmd)
#define SCST_USER_FLUSH_CACHE		_IO('u', 7)
#define SCST_USER_DEVICE_CAPACITY_CHANGED _IO('u', 8)
#define SCST_USER_GET_EXTENDED_CDB	_IOWR('u', 9, struct scst_user_get_ext_cdb)
#define SCST_USER_PREALLOC_BUFFER	_IOWR('u', 10, union scst_user_prealloc_buffer)
#define SCST_USER_REPLY_AND_GET_MULTI	_IOWR('u', 11, struct scst_user_get_multi)

/* scst_user_get_cmd.subcode and scst_user_reply_cmd.subcode. */
#define SCST_USER_ATTACH_SESS		_IOR('s', UCMD_STATE_ATTACH_SESS, struct scst_user_sess)
#define SCST_USER_DETACH_SESS		_IOR('s', UCMD_STATE_DETACH_SESS, struct scst_user_sess)
#define SCST_USER_PARSE			_IOWR('s', UCMD_STATE_PARSING, struct scst_user_scsi_cmd_parse)
#define SCST_USER_ALLOC_MEM		_IOWR('s', UCMD_STATE_BUF_ALLOCING, struct scst_user_scsi_cmd_alloc_mem)
#define SCST_USER_EXEC			_IOWR('s', UCMD_STATE_EXECING, struct scst_user_scsi_cmd_exec)
#define SCST_USER_ON_FREE_CMD		_IOR('s', UCMD_STATE_ON_FREEING, struct scst_user_scsi_on_free_cmd)
#define SCST_USER_ON_CACHED_MEM_FREE	_IOR('s', UCMD_STATE_ON_CACHE_FREEING, struct scst_user_on_cached_mem_free)
#define SCST_USER_TASK_MGMT_RECEIVED	_IOWR('s', UCMD_STATE_TM_RECEIVED_EXECING, struct scst_user_tm)
#define SCST_USER_TASK_MGMT_DONE	_IOWR('s', UCMD_STATE_TM_DONE_EXECING, struct scst_user_tm)
#define SCST_USER_EXT_COPY_REMAP	_IOWR('s', UCMD_STATE_EXT_COPY_REMAPPING, struct scst_user_ext_copy_remap)

#endif /* __SCST_USER_H */
