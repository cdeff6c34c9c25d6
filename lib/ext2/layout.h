/*
 * ext2's on-disk structures (little-endian, as x86-64 is), after Linux's
 * fs/ext2/ext2.h and e2fsprogs' ext2_fs.h. Only lib/ext2 includes this.
 */
#ifndef LIB_EXT2_LAYOUT_H
#define LIB_EXT2_LAYOUT_H

#include <stdint.h>

#define EXT2_MAGIC		0xEF53
#define EXT2_SB_OFFSET		1024
#define EXT2_VALID_FS		1
#define EXT2_ERROR_FS		2
#define EXT2_GOOD_OLD_ISIZE	128
#define EXT2_GOOD_OLD_FIRST_INO 11
#define EXT2_NDIR		12
#define EXT2_IND		12
#define EXT2_DIND		13
#define EXT2_TIND		14
#define EXT2_NBLOCKS		15
#define EXT2_INDEX_FL		0x1000 /* a hashed (htree) directory */
#define EXT2_EXTENTS_FL		0x80000
#define EXT2_EXTRA_ISIZE	32 /* the extra fields we know (below) */

/* Features: what we do with each is in ext2.c's tables. */
#define EXT2_COMPAT_HAS_JOURNAL	   0x0004
#define EXT2_INCOMPAT_FILETYPE	   0x0002
#define EXT2_INCOMPAT_RECOVER	   0x0004
#define EXT2_ROCOMPAT_SPARSE_SUPER 0x0001
#define EXT2_ROCOMPAT_LARGE_FILE   0x0002
#define EXT2_ROCOMPAT_BTREE_DIR	   0x0004

struct ext2_super {
	uint32_t s_inodes_count, s_blocks_count, s_r_blocks_count;
	uint32_t s_free_blocks_count, s_free_inodes_count;
	uint32_t s_first_data_block, s_log_block_size, s_log_frag_size;
	uint32_t s_blocks_per_group, s_frags_per_group, s_inodes_per_group;
	uint32_t s_mtime, s_wtime;
	uint16_t s_mnt_count;
	int16_t s_max_mnt_count;
	uint16_t s_magic, s_state, s_errors, s_minor_rev_level;
	uint32_t s_lastcheck, s_checkinterval, s_creator_os, s_rev_level;
	uint16_t s_def_resuid, s_def_resgid;
	uint32_t s_first_ino;
	uint16_t s_inode_size, s_block_group_nr;
	uint32_t s_feature_compat, s_feature_incompat, s_feature_ro_compat;
	uint8_t s_uuid[16];
	char s_volume_name[16];
	char s_last_mounted[64];
	uint32_t s_algorithm_usage_bitmap;
	uint8_t s_prealloc_blocks, s_prealloc_dir_blocks;
	uint16_t s_padding1;
	uint8_t s_journal_uuid[16];
	uint32_t s_journal_inum, s_journal_dev, s_last_orphan;
	uint8_t s_rest[1024 - 236];
};
_Static_assert(sizeof(struct ext2_super) == 1024, "superblock");

struct ext2_gd {
	uint32_t bg_block_bitmap, bg_inode_bitmap, bg_inode_table;
	uint16_t bg_free_blocks_count, bg_free_inodes_count;
	uint16_t bg_used_dirs_count, bg_flags;
	uint32_t bg_reserved[3];
};
_Static_assert(sizeof(struct ext2_gd) == 32, "group descriptor");

/* An inode: the 128 bytes of revision 0 and the extra fields of larger
 * inodes (read and written only as far as the inode size goes). */
struct ext2_inode {
	uint16_t i_mode, i_uid;
	uint32_t i_size, i_atime, i_ctime, i_mtime, i_dtime;
	uint16_t i_gid, i_links_count;
	uint32_t i_blocks, i_flags, i_osd1;
	uint32_t i_block[EXT2_NBLOCKS];
	uint32_t i_generation, i_file_acl, i_size_high, i_faddr;
	uint16_t i_blocks_hi, i_file_acl_high, i_uid_high, i_gid_high;
	uint16_t i_checksum_lo, i_reserved;
	uint16_t i_extra_isize, i_checksum_hi;
	uint32_t i_ctime_extra, i_mtime_extra, i_atime_extra;
	uint32_t i_crtime, i_crtime_extra, i_version_hi, i_projid;
};
_Static_assert(sizeof(struct ext2_inode) == 160, "inode");

struct ext2_dirent_disk {
	uint32_t inode;
	uint16_t rec_len;
	uint8_t name_len, file_type;
	char name[];
};

/* An extended attribute block's header: its reference count. */
struct ext2_xattr_header {
	uint32_t h_magic, h_refcount, h_blocks, h_hash;
};
#define EXT2_XATTR_MAGIC 0xEA020000u

#endif
