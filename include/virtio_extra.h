/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtio constants newer than the distro UAPI headers (linux-libc-dev 6.1).
 * Only what <linux/virtio_*.h> lacks; each guarded so a newer header wins.
 */
#ifndef MMIOBENCH_VIRTIO_EXTRA_H
#define MMIOBENCH_VIRTIO_EXTRA_H

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#ifndef VIRTIO_MMIO_QUEUE_RESET
#define VIRTIO_MMIO_QUEUE_RESET		0x0c0	/* virtio 1.2, needs RING_RESET */
#endif
#ifndef VIRTIO_MMIO_SHM_SEL
#define VIRTIO_MMIO_SHM_SEL		0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW		0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH	0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW	0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH	0x0bc
#endif
#ifndef VIRTIO_F_NOTIFICATION_DATA
#define VIRTIO_F_NOTIFICATION_DATA	38
#endif
#ifndef VIRTIO_F_NOTIF_CONFIG_DATA
#define VIRTIO_F_NOTIF_CONFIG_DATA	39	/* never offered on MMIO */
#endif
#ifndef VIRTIO_F_RING_RESET
#define VIRTIO_F_RING_RESET		40
#endif
#ifndef VIRTIO_F_ADMIN_VQ
#define VIRTIO_F_ADMIN_VQ		41	/* never offered on MMIO */
#endif

/* MMIO MagicValue: "virt" read as a little-endian 32-bit word. */
#ifndef VIRTIO_MMIO_MAGIC
#define VIRTIO_MMIO_MAGIC		0x74726976u
#endif

#endif
