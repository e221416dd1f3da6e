/* scif_send and scif_recv: the data path over the connection's byte rings. */
#include "endpoint.h"

static int not_connected(struct ep *e, uint32_t st)
{
	if (e->closed)
		return EINTR;
	return st == EP_DISCONNECTED ? ECONNRESET : ENOTCONN;
}

static int can_send(struct ep *e)
{
	return state_of(e) != EP_CONNECTED || ring_writable(&e->conn->out);
}

static int can_recv(struct ep *e)
{
	return state_of(e) != EP_CONNECTED || ring_has_data(&e->conn->in);
}

API int scif_send(scif_epd_t epd, void *msg, int len, int flags)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int err = 0, total = 0;
	if (len == 0)
		goto out;
	if (len < 0 || (flags != 0 && !(flags & SCIF_SEND_BLOCK))) {
		err = EINVAL;
		goto out;
	}
	if (!msg) {
		err = EFAULT;
		goto out;
	}
	pthread_mutex_lock(&e->send_mu);
	for (;;) {
		struct conn *c = __atomic_load_n(&e->conn, __ATOMIC_ACQUIRE);
		uint32_t st = e->closed ? EP_FREE : state_of(e);
		if (e->closed || !c || st != EP_CONNECTED) {
			if (!c && !e->closed && collect_accepted(e))
				continue;
			if (!total)
				err = not_connected(e, st);
			break;
		}
		size_t n = ring_write(&c->out, (const uint8_t *)msg + total, (size_t)(len - total));
		if (n > 0) {
			total += (int)n;
			wake_receivers(e->peer_slot);
		}
		if (total == len || !(flags & SCIF_SEND_BLOCK))
			break;
		if (n == 0)
			await(e, E_SPACE_SEQ, E_SPACE_SLEEPERS, can_send, -1);
	}
	pthread_mutex_unlock(&e->send_mu);
	pump_sync(e); /* less send space */
out:
	ep_put(e);
	return err ? fail(err) : (errno = se, total);
}

API int scif_recv(scif_epd_t epd, void *msg, int len, int flags)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int err = 0, total = 0;
	if (len == 0)
		goto out;
	if (len < 0 || (flags != 0 && !(flags & SCIF_RECV_BLOCK))) {
		err = EINVAL;
		goto out;
	}
	if (!msg) {
		err = EFAULT;
		goto out;
	}
	pthread_mutex_lock(&e->recv_mu);
	for (;;) {
		struct conn *c = __atomic_load_n(&e->conn, __ATOMIC_ACQUIRE);
		if (e->closed || !c) {
			uint32_t st = e->closed ? EP_FREE : state_of(e);
			if (!e->closed && collect_accepted(e))
				continue;
			if (!total)
				err = not_connected(e, st);
			break;
		}
		long n = ring_read(&c->in, (uint8_t *)msg + total, (size_t)(len - total));
		if (n < 0) {
			logmsg("scif_recv: the connection's ring %llu holds a corrupt frame; connection reset",
			       (unsigned long long)c->id);
			if (!total)
				err = ECONNRESET;
			break;
		}
		if (n > 0) {
			total += (int)n;
			wake_senders(e->peer_slot);
			if (total == len)
				break;
			continue;
		}
		uint32_t st = state_of(e);
		if (st != EP_CONNECTED) {
			if (ring_has_data(&c->in))
				continue;
			if (!total)
				err = not_connected(e, st);
			break;
		}
		if (!(flags & SCIF_RECV_BLOCK))
			break;
		await(e, E_EVENT_SEQ, E_SLEEPERS, can_recv, -1);
	}
	pthread_mutex_unlock(&e->recv_mu);
	pump_sync(e); /* fewer bytes waiting */
out:
	ep_put(e);
	return err ? fail(err) : (errno = se, total);
}
