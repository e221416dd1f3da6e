/* scif_bind and scif_listen: ports, under the control-plane lock. */
#include "endpoint.h"

API int scif_bind(scif_epd_t epd, uint16_t pn)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int err = 0, port = pn;
	if (pn > 0 && pn < SCIF_ADMIN_PORT_END && !fab.cfg.privileged) {
		ep_put(e);
		return fail(EACCES);
	}
	pthread_mutex_lock(&e->ctl);
	pthread_mutex_lock(&fab.mu);
	do {
		lock_take();
		err = 0;
		uint32_t st = ch_get(endpoint_off(e->slot) + E_STATE);
		if (e->closed)
			err = EBADF;
		else if (st == EP_BOUND)
			err = EINVAL;
		else if (st != EP_UNBOUND)
			err = EISCONN;
		else if (pn == 0 && (port = tab_lowest_free_port(fab.cfg.node)) < 0)
			err = ENOSPC;
		else if (pn != 0 && tab_port_busy(fab.cfg.node, pn))
			err = EINVAL;
		if (err)
			break;
		tab_hold_port(e->slot, port);
		ch_set(endpoint_off(e->slot) + E_STATE, EP_BOUND);
	} while (ch_commit());
	lock_release();
	pthread_mutex_unlock(&fab.mu);
	if (!err)
		e->port = (uint16_t)port;
	pthread_mutex_unlock(&e->ctl);
	ep_put(e);
	return err ? fail(err) : (errno = se, port);
}

API int scif_listen(scif_epd_t epd, int backlog)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int err;
	pthread_mutex_lock(&e->ctl);
	pthread_mutex_lock(&fab.mu);
	do {
		lock_take();
		err = 0;
		uint32_t st = ch_get(endpoint_off(e->slot) + E_STATE);
		if (st == EP_UNBOUND || st == EP_DISCONNECTED)
			err = EINVAL;
		else if (st != EP_BOUND)
			err = EISCONN;
		else if (backlog <= 0)
			err = EINVAL;
		if (err)
			break;
		ch_set(endpoint_off(e->slot) + E_BACKLOG, backlog > MAX_BACKLOG ? MAX_BACKLOG : (uint32_t)backlog);
		ch_set(endpoint_off(e->slot) + E_STATE, EP_LISTENING);
	} while (ch_commit());
	lock_release();
	pthread_mutex_unlock(&fab.mu);
	pthread_mutex_unlock(&e->ctl);
	ep_put(e);
	return err ? fail(err) : (errno = se, 0);
}
