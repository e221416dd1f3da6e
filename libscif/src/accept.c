/* scif_accept: pops a connection request and links both endpoints in one change. */
#include "endpoint.h"
#include "files.h"

static int requested(struct ep *e)
{
	return ep_field(e->slot, E_STATE) != EP_LISTENING || ep_field(e->slot, E_QUEUE_COUNT) > 0;
}

/* One attempt: 0 accepted (*out), EAGAIN none queued, else an errno. */
static int try_accept(struct ep *e, int newfd, int bell, struct ep **out, struct scif_portID *peer)
{
	int err = 0;
	struct conn *cn = NULL;
	pthread_mutex_lock(&e->ctl);
	pthread_mutex_lock(&fab.mu);
	for (;;) {
		lock_take();
		if (cn) { /* a redo of a pre-empted change opens the file again */
			conn_close(cn);
			cn = NULL;
		}
		err = 0;
		int ns = -1, c = -1;
		if (e->closed) {
			err = EINTR;
		} else if (ch_get(endpoint_off(e->slot) + E_STATE) != EP_LISTENING) {
			err = EINVAL;
		} else {
			/* Pops the head, refusing requests whose file is gone or corrupt, and answers
			   the first good one in ONE change. */
			for (;;) {
				c = tab_queue_head(e->slot);
				if (c == -2) {
					logmsg("scif_accept: fabric %s is corrupt: the queue head of listener slot %d "
					       "is not a CONNECTING slot queued on it", fab.cfg.fabric_dir, e->slot);
					err = ENODEV;
					break;
				}
				if (c < 0) {
					err = EAGAIN;
					break;
				}
				uint64_t id = tab_conn_id(c);
				tab_unlink(c);
				char path[FILES_PATH_MAX], why[600];
				conn_file_path(path, sizeof path, id);
				cn = conn_open(path, id, why, sizeof why);
				if (!cn) {
					logmsg("scif_accept: refused a request: %s", why);
					tab_answer(c, -ECONNREFUSED);
					continue;
				}
				ns = tab_alloc(fab.cfg.node);
				if (ns < 0) {
					conn_close(cn);
					cn = NULL;
					tab_answer(c, -ENOMEM);
					err = ENOMEM;
					break;
				}
				uint32_t cnode = ch_get(endpoint_off(c) + E_NODE), cport = ch_get(endpoint_off(c) + E_PORT);
				tab_hold_port(ns, e->port);
				ch_set(endpoint_off(ns) + E_FLAGS, ch_get(endpoint_off(ns) + E_FLAGS) | FLAG_ACCEPTED);
				ch_set(endpoint_off(ns) + E_PEER_NODE, cnode);
				ch_set(endpoint_off(ns) + E_PEER_PORT, cport);
				ch_set(endpoint_off(ns) + E_PEER_SLOT, (uint32_t)c + 1);
				ch_set(endpoint_off(ns) + E_PEER_GEN, ch_get(endpoint_off(c) + E_GEN));
				tab_set_conn_id(ns, id);
				ch_set(endpoint_off(ns) + E_STATE, EP_CONNECTED);
				ch_set(endpoint_off(c) + E_PEER_SLOT, (uint32_t)ns + 1);
				ch_set(endpoint_off(c) + E_PEER_GEN, ch_get(endpoint_off(ns) + E_GEN));
				ch_set(endpoint_off(c) + E_PEER_NODE, (uint32_t)fab.cfg.node);
				ch_set(endpoint_off(c) + E_PEER_PORT, e->port);
				ch_set(endpoint_off(c) + E_STATE, EP_CONNECTED);
				tab_answer(c, CONNECT_ACCEPTED);
				peer->node = (uint16_t)cnode;
				peer->port = (uint16_t)cport;
				break;
			}
		}
		if (ch_commit())
			continue;
		lock_release();
		if (!err && ns >= 0) {
			struct ep *n = ep_new(newfd, bell, ns);
			if (!n) {
				do {
					lock_take();
					tab_close_slot(ns, ECONNREFUSED);
				} while (ch_commit());
				lock_release();
				conn_close(cn);
				err = ENOMEM;
			} else {
				n->port = e->port;
				n->peer = *peer;
				n->peer_slot = c;
				n->conn = cn;
				*out = n;
			}
		}
		break;
	}
	pthread_mutex_unlock(&fab.mu);
	pthread_mutex_unlock(&e->ctl);
	return err;
}

API int scif_accept(scif_epd_t epd, struct scif_portID *peer, scif_epd_t *newepd, int flags)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	if ((flags & ~SCIF_ACCEPT_SYNC) || !peer || !newepd) {
		ep_put(e);
		return fail(EINVAL);
	}
	int bell, newfd = ep_fd_new(&bell);
	if (newfd < 0 || newfd >= EP_FD_MAX) {
		int err = newfd < 0 ? errno : EMFILE;
		if (newfd >= 0) {
			close(newfd);
			close(bell);
		}
		ep_put(e);
		return fail(err);
	}
	struct ep *n = NULL;
	struct scif_portID p;
	int err;
	for (;;) {
		err = try_accept(e, newfd, bell, &n, &p);
		if (err != EAGAIN || !(flags & SCIF_ACCEPT_SYNC))
			break;
		await(e, E_EVENT_SEQ, E_SLEEPERS, requested, NULL, -1);
		if (e->closed) {
			err = EINTR;
			break;
		}
	}
	if (!err)
		pump_sync(e); /* one request fewer */
	ep_put(e);
	if (err) {
		close(newfd);
		close(bell);
		return fail(err);
	}
	ep_install(newfd, n);
	*peer = p;
	*newepd = newfd;
	errno = se;
	return 0;
}
