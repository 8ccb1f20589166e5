// SPDX-License-Identifier: GPL-2.0
/*
 * The notify benchmark's request loop (include/guest_virtio.h): the same
 * code in the VM and in the ring floor on a host thread, so that their
 * ratio is what the VM adds and nothing else.
 */
#include "guest_virtio.h"

void virtio_blk_loop_reset(struct virtio_blk_loop *l, unsigned int num)
{
	l->nfree = 0;
	for (int i = (int)num - 1; i >= 0; i--)
		l->free_stack[l->nfree++] = (uint32_t)i;
}

int virtio_blk_loop_run(struct virtio_blk_loop *l, uint64_t n)
{
	struct virtio_blk_drv *b = l->b;
	uint64_t submitted = 0, completed = 0;

	while (completed < n) {
		struct virtio_blk_req *r;
		int rc;

		while (submitted < n) {
			uint64_t want = l->batch < n - submitted ? l->batch : n - submitted;

			if (l->nfree < want || !virtio_blk_has_room(b, (unsigned int)want))
				break;
			for (uint64_t k = 0; k < want; k++) {
				r = &l->reqs[l->free_stack[--l->nfree]];
				rc = virtio_blk_submit(b, r, VIRTIO_BLK_T_IN, 0, l->data, l->data_len);
				if (rc)
					return rc;
			}
			submitted += want;
			virtio_blk_kick(b);
		}
		/* A device that stopped the queue (NEEDS_RESET) never completes:
		 * say so at once, not by a watchdog. */
		rc = virtio_blk_wait_used(b);
		if (rc)
			return rc;
		if (b->by_irq)
			virtio_blk_irq_off(b);	/* interrupts only while waiting for one */
		while ((rc = virtio_blk_pop(b, &r)) == 1) {
			if (r->status != VIRTIO_BLK_S_OK)
				l->bad_status++;
			l->free_stack[l->nfree++] = (uint32_t)(r - l->reqs);
			completed++;
		}
		if (rc)
			return rc;
	}
	return 0;
}
