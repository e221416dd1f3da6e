/* scif_connect: blocking and non-blocking (O_NONBLOCK on the descriptor: EINPROGRESS, then
   POLLOUT, then a second call for the result), through the listener's queue. */
#include "endpoint.h"
#include "files.h"
#include "scif4j.h"
#include <fcntl.h>
#include <string.h>

int answered(struct ep *e)
{
	return ep_field(e->slot, E_CONNECT_RESULT) != 0;
}

/* Takes the connection over once accepted. Caller holds ctl. */
static int adopt(struct ep *e)
{
	uint32_t ps = ep_field(e->slot, E_PEER_SLOT);
	if (ps < 1 || ps > MAX_ENDPOINTS) {
		logmsg("the connection is broken: fabric %s is corrupt: endpoint slot %d's peer slot holds %u",
		       fab.cfg.fabric_dir, e->slot, ps);
		return ECONNRESET;
	}
	e->peer_slot = (int)ps - 1;
	e->peer.node = (uint16_t)ep_field(e->slot, E_PEER_NODE);
	e->peer.port = (uint16_t)ep_field(e->slot, E_PEER_PORT);
	struct conn *c = e->pending;
	e->pending = NULL;
	__atomic_store_n(&e->conn, c, __ATOMIC_RELEASE);
	return 0;
}

/* A non-blocking connect accepted meanwhile: takes the connection over. 1 if connected. */
int collect_accepted(struct ep *e)
{
	pthread_mutex_lock(&e->ctl);
	int ok = e->conn != NULL;
	if (!ok && !e->closed && e->pending && ep_field(e->slot, E_CONNECT_RESULT) == CONNECT_ACCEPTED &&
	    adopt(e) == 0) {
		e->async_pending = 0;
		ok = 1;
	}
	pthread_mutex_unlock(&e->ctl);
	return ok;
}

/* Queues the request: auto-binds, creates the connection file, enqueues. 0 queued. */
static int start_connect(struct ep *e, struct scif_portID *dst, int nonblock)
{
	int err = 0;
	pthread_mutex_lock(&fab.mu);
	do {
		lock_take();
		err = 0;
		uint32_t st = ch_get(endpoint_off(e->slot) + E_STATE);
		if (st == EP_LISTENING)
			err = EOPNOTSUPP;
		else if (st == EP_CONNECTED || st == EP_CONNECTING)
			err = EISCONN;
		else if (st == EP_DISCONNECTED)
			err = EINVAL;
		else if (!node_online(dst->node, -1))
			err = ENODEV;
		if (err || st != EP_UNBOUND)
			break;
		int p = tab_lowest_free_port(fab.cfg.node);
		if (p < 0) {
			err = ENOSPC;
			break;
		}
		tab_hold_port(e->slot, p);
		ch_set(endpoint_off(e->slot) + E_STATE, EP_BOUND);
		e->port = (uint16_t)p;
	} while (ch_commit());
	lock_release();
	pthread_mutex_unlock(&fab.mu);
	if (err)
		return err;
	struct conn *c = NULL;
	char path[FILES_PATH_MAX];
	uint64_t id = 0;
	for (int skipped = 0; !c && skipped <= 16; skipped++) {
		id = __atomic_fetch_add(w64(H_NEXT_CONNECTION_ID), 1, __ATOMIC_SEQ_CST);
		conn_file_path(path, sizeof path, id);
		c = conn_create(path, id, fab.cfg.ring);
		if (!c && errno != EEXIST)
			break;
	}
	if (!c) {
		logmsg("scif_connect: cannot create a connection file in %s: %s", fab.cfg.fabric_dir,
		       strerror(errno));
		return ENOMEM;
	}
	int queued = 0;
	pthread_mutex_lock(&fab.mu);
	do {
		lock_take();
		int l = dst->port == 0 ? -1 : tab_find_listener(dst->node, dst->port);
		queued = l >= 0 && tab_enqueue(l, e->slot) == 1;
		if (!queued)
			break;
		tab_set_conn_id(e->slot, id);
		ch_set(endpoint_off(e->slot) + E_CONNECT_RESULT, 0);
		ch_set(endpoint_off(e->slot) + E_PEER_NODE, dst->node);
		ch_set(endpoint_off(e->slot) + E_PEER_PORT, dst->port);
		ch_set(endpoint_off(e->slot) + E_STATE, EP_CONNECTING);
		tab_signal(l);
	} while (ch_commit());
	lock_release();
	pthread_mutex_unlock(&fab.mu);
	if (!queued) {
		conn_close(c);
		delete_conn_file(id);
		if (nonblock) { /* reported by the second connect */
			uint64_t off = endpoint_off(e->slot) + E_CONNECT_RESULT;
			uint64_t old = get64(off);
			cas64(off, old, (((old >> 32) + 1) << 32) | (uint32_t)-ECONNREFUSED);
			return 0;
		}
		return ECONNREFUSED;
	}
	e->pending = c;
	return 0;
}

/* After the wait (or the second call of a non-blocking connect): the result. A request still
   unanswered is withdrawn (the endpoint stays BOUND) and fails with `unanswered`: ECONNREFUSED
   after the watchdog period, EINTR when the caller gave up (scif4j_connect_abandon). */
static int finish_connect(struct ep *e, int unanswered)
{
	if (e->closed)
		return EINTR;
	if (!e->pending && e->conn) {
		e->async_pending = 0;
		return 0;
	}
	if (!e->pending) { /* a non-blocking request refused before it was queued */
		uint64_t off = endpoint_off(e->slot) + E_CONNECT_RESULT;
		uint64_t old = get64(off);
		int result = (int)(uint32_t)old;
		e->async_pending = 0;
		cas64(off, old, (((old >> 32) + 1) << 32) | 0);
		return result < 0 ? -result : ECONNREFUSED;
	}
	int result = 0, err = 0;
	uint64_t id = 0;
	pthread_mutex_lock(&fab.mu);
	do {
		lock_take();
		result = (int)ch_get(endpoint_off(e->slot) + E_CONNECT_RESULT);
		id = tab_conn_id(e->slot);
		if (result == CONNECT_ACCEPTED)
			break;
		if (result == 0) { /* withdraw: timed out */
			tab_unlink(e->slot);
			ch_set(endpoint_off(e->slot) + E_STATE, EP_BOUND);
		}
		tab_set_conn_id(e->slot, 0);
	} while (ch_commit());
	lock_release();
	pthread_mutex_unlock(&fab.mu);
	e->async_pending = 0;
	if (result == CONNECT_ACCEPTED)
		return adopt(e);
	conn_close(e->pending);
	e->pending = NULL;
	delete_conn_file(id);
	err = result < 0 ? -result : unanswered;
	return err;
}

API int scif_connect(scif_epd_t epd, struct scif_portID *dst)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	if (!dst) {
		ep_put(e);
		return fail(EINVAL);
	}
	int nonblock = (fcntl(epd, F_GETFL) & O_NONBLOCK) != 0;
	int err = 0;
	pthread_mutex_lock(&e->ctl);
	if (e->async_pending) {
		if (!answered(e) && now_ns() < e->async_deadline)
			err = EINPROGRESS;
		else
			err = finish_connect(e, ECONNREFUSED);
		goto out;
	}
	err = start_connect(e, dst, nonblock);
	if (err)
		goto out;
	if (nonblock) {
		e->async_pending = 1;
		e->async_deadline = now_ns() + fab.cfg.timeout_ms * 1000000LL;
		err = EINPROGRESS;
		goto out;
	}
	if (!e->pending) {
		err = ECONNREFUSED;
		goto out;
	}
	pthread_mutex_unlock(&e->ctl);
	await(e, E_EVENT_SEQ, E_SLEEPERS, answered, NULL, now_ns() + fab.cfg.timeout_ms * 1000000LL);
	pthread_mutex_lock(&e->ctl);
	err = finish_connect(e, ECONNREFUSED);
out:;
	int port = e->port;
	pthread_mutex_unlock(&e->ctl);
	pump_sync(e); /* a connect started, or its result collected */
	ep_put(e);
	return err ? fail(err) : (errno = se, port);
}

/* The Java native transport's blocking connect is the non-blocking one with its waits in Java;
   when its thread is interrupted, the connect ends here as G3's interruptible connect does: an
   accepted request is taken over (the port, as the connect would return), an unanswered one is
   withdrawn from the listener's queue (EINTR; the endpoint stays BOUND with its port), a
   refusal is reported. */
SCIF4J_API int scif4j_connect_abandon(int epd)
{
	struct ep *e = ep_get(epd);
	if (!e)
		return -EBADF;
	pthread_mutex_lock(&e->ctl);
	int err = e->async_pending ? finish_connect(e, EINTR) : EINVAL;
	int port = e->port;
	pthread_mutex_unlock(&e->ctl);
	pump_sync(e);
	ep_put(e);
	return err ? -err : port;
}
