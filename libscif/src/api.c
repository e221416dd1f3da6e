/* The SCIF user API over the shm fabric: endpoints and connections, messages, poll. Every
   call validates its arguments and fails with -1 (or the _FAILED sentinel) and errno as
   Intel's libscif does; errno is set only when a call fails. */
#include "endpoint.h"
#include "files.h"
#include "rma.h"
#include <sys/mman.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EP_FD_MAX 65536
void endpoints_close_all(void);

#define MAX_SLEEP_NS 100000000LL

/* Endpoints by descriptor, and descriptors whose scif_close is under way (until their fd is
   closed: calls on them fail with EBADF, as on a closed fd, not ENOTTY). Guarded by tab_mu,
   which is taken last (nothing is locked under it). */
static struct ep *eps[EP_FD_MAX];
static uint8_t closing[EP_FD_MAX];
static pthread_mutex_t tab_mu = PTHREAD_MUTEX_INITIALIZER;

static int fail(int err)
{
	errno = err;
	return -1;
}

struct ep *ep_get(scif_epd_t epd)
{
	if (fabric_ensure())
		return NULL;
	struct ep *e = NULL;
	int being_closed = 0;
	if (epd >= 0 && epd < EP_FD_MAX) {
		pthread_mutex_lock(&tab_mu);
		e = eps[epd];
		if (e)
			e->refs++;
		being_closed = closing[epd];
		pthread_mutex_unlock(&tab_mu);
	}
	if (!e)
		errno = being_closed || fcntl(epd, F_GETFD) < 0 ? EBADF : ENOTTY;
	return e;
}

void ep_ref(struct ep *e)
{
	pthread_mutex_lock(&tab_mu);
	e->refs++;
	pthread_mutex_unlock(&tab_mu);
}

static void ep_free(struct ep *e)
{
	if (e->rma)
		rma_free(e->rma);
	if (e->conn && rma_maps(e->conn) > 0)
		e->conn = NULL; /* mappings of the peer's windows still count on it: it stays mapped */
	conn_close(e->conn);
	conn_close(e->pending);
	pthread_mutex_destroy(&e->ctl);
	pthread_mutex_destroy(&e->send_mu);
	pthread_mutex_destroy(&e->recv_mu);
	close(e->bell);
	free(e);
}

void ep_put(struct ep *e)
{
	pthread_mutex_lock(&tab_mu);
	int last = --e->refs == 0;
	pthread_mutex_unlock(&tab_mu);
	if (last)
		ep_free(e);
}

static struct ep *ep_new(int fd, int bell, int slot)
{
	struct ep *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->fd = fd;
	e->bell = bell;
	e->slot = slot;
	e->refs = 1; /* the table's */
	e->peer_slot = -1;
	e->owner_pid = (int)getpid();
	pthread_mutex_init(&e->ctl, NULL);
	pthread_mutex_init(&e->send_mu, NULL);
	pthread_mutex_init(&e->recv_mu, NULL);
	return e;
}

static uint32_t state_of(struct ep *e)
{
	return ep_field(e->slot, E_STATE);
}

/* ---- waiting (the sleeper protocol of docs/shm-format.md) ---- */

typedef int (*cond_fn)(struct ep *);

/* Waits until ready(e), the deadline (ns, <0: none) or close; 0 ready, 1 timed out. */
static int await(struct ep *e, int seq_field, int sleepers_field, cond_fn ready, int64_t deadline)
{
	int64_t start = now_ns();
	uint64_t seq = endpoint_off(e->slot) + (uint64_t)seq_field;
	uint64_t sleepers = endpoint_off(e->slot) + (uint64_t)sleepers_field;
	enum wait_mode mode = fab.cfg.wait;
	for (unsigned i = 0;; i++) {
		if (ready(e) || e->closed)
			return 0;
		int64_t now = now_ns();
		if (deadline >= 0 && now >= deadline)
			return 1;
		int64_t waited = now - start;
		if (mode == WAIT_SPIN || (mode == WAIT_ADAPTIVE && waited < 30000)) {
			/* check at every pause: a pause is up to ~40 ns, the condition a cache line */
			for (int k = 0; k < 256 && !ready(e); k++)
				__builtin_ia32_pause();
			continue;
		}
		if (mode == WAIT_YIELD || (mode == WAIT_ADAPTIVE && waited < 200000)) {
			sched_yield();
			continue;
		}
		add32(sleepers, 1);
		uint32_t seen = get32(seq);
		sleeper_fence(); /* after announcing, before re-checking */
		if (!ready(e) && !e->closed) {
			int64_t nanos = MAX_SLEEP_NS;
			if (deadline >= 0 && deadline - now < nanos)
				nanos = deadline - now > 0 ? deadline - now : 1;
			futex_wait(w32(seq), seen, nanos);
		}
		add32(sleepers, -1);
	}
}

/* ---- open, close ---- */

API scif_epd_t scif_open(void)
{
	int se = errno;
	if (fabric_ensure())
		return SCIF_OPEN_FAILED;
	int bell, fd = ep_fd_new(&bell);
	if (fd < 0)
		return SCIF_OPEN_FAILED;
	if (fd >= EP_FD_MAX) {
		close(fd);
		close(bell);
		return fail(EMFILE);
	}
	pthread_mutex_lock(&fab.mu);
	int slot;
	do {
		lock_take();
		slot = tab_alloc(fab.cfg.node);
	} while (slot >= 0 && ch_commit());
	lock_release();
	pthread_mutex_unlock(&fab.mu);
	struct ep *e = slot >= 0 ? ep_new(fd, bell, slot) : NULL;
	if (!e) {
		if (slot >= 0) {
			pthread_mutex_lock(&fab.mu);
			do {
				lock_take();
				tab_close_slot(slot, ECONNREFUSED);
			} while (ch_commit());
			lock_release();
			pthread_mutex_unlock(&fab.mu);
		} else {
			logmsg("scif_open: the fabric's endpoint table is full (%d endpoints)", MAX_ENDPOINTS);
		}
		close(fd);
		close(bell);
		return fail(ENOMEM);
	}
	pthread_mutex_lock(&tab_mu);
	eps[fd] = e;
	pthread_mutex_unlock(&tab_mu);
	errno = se;
	return fd;
}

/* Frees the endpoint's slot as SCIF closes (peers see the disconnect). */
static void close_slot(struct ep *e)
{
	pthread_mutex_lock(&fab.mu);
	do {
		lock_take();
		tab_close_slot(e->slot, ECONNREFUSED);
	} while (ch_commit());
	lock_release();
	pthread_mutex_unlock(&fab.mu);
}

static int close_ep(struct ep *e, int close_fd)
{
	pthread_mutex_lock(&tab_mu);
	int ours = eps[e->fd] == e;
	if (ours) {
		eps[e->fd] = NULL;
		closing[e->fd] = 1;
	}
	pthread_mutex_unlock(&tab_mu);
	if (!ours)
		return fail(EBADF);
	if (e->owner_pid == (int)getpid())
		pump_forget(e); /* before ctl: the pump takes ctl under its own mutex */
	pthread_mutex_lock(&e->ctl);
	e->closed = 1; /* rma_of hands e->rma out no more */
	/* A forked child only drops its reference: the endpoint stays its parent's. */
	if (e->owner_pid == (int)getpid())
		close_slot(e); /* also wakes every waiter on the endpoint */
	struct rma *m = e->rma; /* freed by ep_free: other threads may be inside RMA calls */
	pthread_mutex_unlock(&e->ctl);
	if (m && e->owner_pid == (int)getpid())
		rma_close(m); /* waits for RMAs in flight, unregisters every window */
	/* in-flight sends and receives end (they see closed) before the rings are unmapped */
	pthread_mutex_lock(&e->send_mu);
	pthread_mutex_lock(&e->recv_mu);
	pthread_mutex_unlock(&e->recv_mu);
	pthread_mutex_unlock(&e->send_mu);
	if (close_fd) {
		pthread_mutex_lock(&tab_mu);
		close(e->fd);
		closing[e->fd] = 0; /* the number may be reused from now on */
		pthread_mutex_unlock(&tab_mu);
	}
	ep_put(e);
	return 0;
}

API int scif_close(scif_epd_t epd)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int r = close_ep(e, 1);
	int err = errno;
	ep_put(e);
	errno = r ? err : se;
	return r;
}

/* At exit, before leaving the fabric: every endpoint is closed as SCIF closes. */
void endpoints_close_all(void)
{
	for (int fd = 0; fd < EP_FD_MAX; fd++) {
		pthread_mutex_lock(&tab_mu);
		struct ep *e = eps[fd];
		if (e)
			e->refs++;
		pthread_mutex_unlock(&tab_mu);
		if (e) {
			close_ep(e, 0);
			ep_put(e);
		}
	}
}

/* ---- bind, listen ---- */

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

/* ---- connect ---- */

static int answered(struct ep *e)
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
static int collect_accepted(struct ep *e)
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

/* After the wait (or the second call of a non-blocking connect): the result. */
static int finish_connect(struct ep *e)
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
	err = result < 0 ? -result : ECONNREFUSED;
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
			err = finish_connect(e);
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
	await(e, E_EVENT_SEQ, E_SLEEPERS, answered, now_ns() + fab.cfg.timeout_ms * 1000000LL);
	pthread_mutex_lock(&e->ctl);
	err = finish_connect(e);
out:;
	int port = e->port;
	pthread_mutex_unlock(&e->ctl);
	pump_sync(e); /* a connect started, or its result collected */
	ep_put(e);
	return err ? fail(err) : (errno = se, port);
}

/* ---- accept ---- */

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
		await(e, E_EVENT_SEQ, E_SLEEPERS, requested, -1);
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
	pthread_mutex_lock(&tab_mu);
	eps[newfd] = n;
	pthread_mutex_unlock(&tab_mu);
	*peer = p;
	*newepd = newfd;
	errno = se;
	return 0;
}

/* ---- send, recv ---- */

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

/* ---- poll ---- */

short ep_poll_events(struct ep *e, short events)
{
	short r;
	pthread_mutex_lock(&e->ctl);
	if (e->closed) {
		pthread_mutex_unlock(&e->ctl);
		return POLLNVAL;
	}
	uint32_t st = state_of(e);
	struct conn *c = e->conn ? e->conn : e->pending;
	switch (st) {
	case EP_LISTENING:
		r = ep_field(e->slot, E_QUEUE_COUNT) > 0 ? POLLIN : 0;
		break;
	/* POLLIN from the frame header at the published head frame, not from the byte counters:
	   the reader may take a frame before its writer published the tail counter, and the
	   counters then differ with nothing to read (a stale POLLIN on get_fd's descriptor) */
	case EP_CONNECTED:
		r = !c ? POLLERR : (short)((ring_has_data(&c->in) ? POLLIN : 0) | (ring_writable(&c->out) ? POLLOUT : 0));
		break;
	case EP_DISCONNECTED:
		r = (short)(POLLHUP | (c && ring_has_data(&c->in) ? POLLIN : 0) | (e->async_pending ? POLLOUT : 0));
		break;
	case EP_CONNECTING:
	case EP_BOUND:
		r = e->async_pending ? ((answered(e) || now_ns() >= e->async_deadline) ? POLLOUT : 0) : POLLERR;
		break;
	default:
		r = POLLERR;
	}
	pthread_mutex_unlock(&e->ctl);
	return (short)(r & (events | POLLERR | POLLHUP | POLLNVAL));
}

static int scan(struct scif_pollepd *p, unsigned n, struct ep **e)
{
	int ready = 0;
	for (unsigned i = 0; i < n; i++) {
		p[i].revents = e[i] ? ep_poll_events(e[i], p[i].events) : POLLNVAL;
		ready += p[i].revents != 0;
	}
	return ready;
}

API int scif_poll(struct scif_pollepd *epds, unsigned int nepds, long timeout)
{
	int se = errno;
	if (fabric_ensure())
		return -1;
	if (nepds > EP_FD_MAX)
		return fail(EINVAL);
	if (nepds && !epds)
		return fail(EFAULT);
	struct ep *stack[64], **e = nepds <= 64 ? stack : calloc(nepds, sizeof *e);
	if (!e)
		return fail(ENOMEM);
	for (unsigned i = 0; i < nepds; i++) {
		int saved = errno;
		e[i] = epds[i].epd >= 0 ? ep_get(epds[i].epd) : NULL;
		errno = saved;
	}
	int ready = scan(epds, nepds, e);
	if (!ready && timeout != 0 && fab.slot >= 0) {
		int64_t deadline = timeout < 0 ? -1 : now_ns() + timeout * 1000000LL;
		uint64_t bell = doorbell_off(fab.slot);
		for (unsigned i = 0; i < nepds; i++)
			if (e[i])
				add32(endpoint_off(e[i]->slot) + E_POLLERS, 1);
		int64_t start = now_ns();
		while (!ready) {
			int64_t now = now_ns();
			if (deadline >= 0 && now >= deadline)
				break;
			uint32_t seen = get32(bell);
			if (now - start > 50000) {
				sleeper_fence();
			}
			if ((ready = scan(epds, nepds, e)))
				break;
			if (now - start <= 50000) {
				sched_yield();
				continue;
			}
			int64_t nanos = MAX_SLEEP_NS;
			if (deadline >= 0 && deadline - now < nanos)
				nanos = deadline - now;
			futex_wait(w32(bell), seen, nanos);
			ready = scan(epds, nepds, e);
		}
		for (unsigned i = 0; i < nepds; i++)
			if (e[i])
				add32(endpoint_off(e[i]->slot) + E_POLLERS, -1);
	}
	for (unsigned i = 0; i < nepds; i++)
		if (e[i])
			ep_put(e[i]);
	if (e != stack)
		free(e);
	errno = se;
	return ready;
}

/* ---- nodes, descriptors ---- */

API int scif_get_nodeIDs(uint16_t *nodes, int len, uint16_t *self)
{
	int se = errno;
	if (fabric_ensure())
		return -1;
	if (!self || (len > 0 && !nodes))
		return fail(EFAULT);
	int n = 0;
	for (int node = 0; node < MAX_NODES; node++) {
		if (!node_online(node, -1))
			continue;
		if (n < len)
			nodes[n] = (uint16_t)node;
		n++;
	}
	*self = (uint16_t)fab.cfg.node;
	errno = se;
	return n;
}

API int scif_get_fd(scif_epd_t epd)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e) {
		if (errno == ENOTTY)
			errno = EINVAL;
		return -1;
	}
	if (!e->closed)
		pump_watch(e); /* not under ctl: the pump takes ctl under its own mutex */
	ep_put(e);
	errno = se;
	return epd;
}

/* ---- registered memory, RMA, fences, mappings ---- */

#define PAGE_MASK ((uint64_t)PAGE - 1)

/* The endpoint's RMA state, once it is connected; NULL with *err (ENOTCONN, ECONNRESET). */
static struct rma *rma_of(struct ep *e, int *err, int any_state)
{
	if (!e->conn)
		collect_accepted(e);
	pthread_mutex_lock(&e->ctl);
	uint32_t st = state_of(e);
	*err = 0;
	if (e->closed)
		*err = EBADF;
	else if (!e->conn)
		*err = st == EP_DISCONNECTED ? ECONNRESET : ENOTCONN;
	else if (st != EP_CONNECTED && !any_state)
		*err = st == EP_DISCONNECTED ? ECONNRESET : ENOTCONN;
	else if (!e->rma && !(e->rma = rma_new(e->conn, e->slot, e->peer_slot,
					      fab.cfg.node == 0 && e->peer.node == 0, e->owner_pid)))
		*err = ENOMEM;
	struct rma *m = *err ? NULL : e->rma;
	pthread_mutex_unlock(&e->ctl);
	return m;
}

static int page_range(int64_t off, uint64_t len)
{
	return off >= 0 && ((uint64_t)off & PAGE_MASK) == 0 && len <= (uint64_t)INT64_MAX &&
	       off - 1 <= INT64_MAX - (int64_t)len;
}

API off_t scif_register(scif_epd_t epd, void *addr, size_t len, off_t offset, int prot, int map)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return SCIF_REGISTER_FAILED;
	int err = 0;
	off_t at = -1;
	if ((prot & ~(SCIF_PROT_READ | SCIF_PROT_WRITE)) || (map & ~SCIF_MAP_FIXED) ||
	    ((uintptr_t)addr & PAGE_MASK) || len == 0 || (len & PAGE_MASK) ||
	    ((map & SCIF_MAP_FIXED) && !page_range(offset, len)))
		err = EINVAL;
	struct rma *m = err ? NULL : rma_of(e, &err, 0);
	if (m)
		at = rma_register(m, addr, len, offset, prot, map & SCIF_MAP_FIXED, &err);
	ep_put(e);
	return err ? fail(err) : (errno = se, at);
}

API int scif_unregister(scif_epd_t epd, off_t offset, size_t len)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int err = 0;
	if (len == 0 || (len & PAGE_MASK) || !page_range(offset, len))
		err = EINVAL;
	struct rma *m = err ? NULL : rma_of(e, &err, 1);
	if (m)
		err = rma_unregister(m, offset, len);
	ep_put(e);
	return err ? fail(err) : (errno = se, 0);
}

static int rma_call(scif_epd_t epd, int to_remote, off_t loff, void *addr, int virt, size_t len, off_t roff,
		    int flags)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int err = 0;
	const int valid = SCIF_RMA_USECPU | SCIF_RMA_USECACHE | SCIF_RMA_SYNC | SCIF_RMA_ORDERED;
	if (len == 0 || (flags != 0 && !(flags & valid)) || len > (size_t)INT64_MAX)
		err = EINVAL;
	else if (virt && !addr)
		err = EFAULT;
	struct rma *m = err ? NULL : rma_of(e, &err, 0);
	if (m)
		err = rma_copy(m, to_remote, loff, virt ? addr : NULL, len, roff);
	ep_put(e);
	return err ? fail(err) : (errno = se, 0);
}

API int scif_readfrom(scif_epd_t epd, off_t lo, size_t len, off_t ro, int f)
{
	return rma_call(epd, 0, lo, NULL, 0, len, ro, f);
}
API int scif_writeto(scif_epd_t epd, off_t lo, size_t len, off_t ro, int f)
{
	return rma_call(epd, 1, lo, NULL, 0, len, ro, f);
}
API int scif_vreadfrom(scif_epd_t epd, void *a, size_t len, off_t o, int f)
{
	return rma_call(epd, 0, 0, a, 1, len, o, f);
}
API int scif_vwriteto(scif_epd_t epd, void *a, size_t len, off_t o, int f)
{
	return rma_call(epd, 1, 0, a, 1, len, o, f);
}

API int scif_fence_mark(scif_epd_t epd, int flags, int *mark)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int err = 0;
	if (flags != SCIF_FENCE_INIT_SELF && flags != SCIF_FENCE_INIT_PEER)
		err = EINVAL;
	else if (!mark)
		err = EFAULT;
	struct rma *m = err ? NULL : rma_of(e, &err, 0);
	if (m)
		err = rma_fence_mark(m, flags, mark);
	ep_put(e);
	return err ? fail(err) : (errno = se, 0);
}

API int scif_fence_wait(scif_epd_t epd, int mark)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int err;
	struct rma *m = rma_of(e, &err, 0);
	if (m)
		err = rma_fence_wait(m, mark);
	ep_put(e);
	return err ? fail(err) : (errno = se, 0);
}

API int scif_fence_signal(scif_epd_t epd, off_t lo, uint64_t lv, off_t ro, uint64_t rv, int f)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return -1;
	int err = 0;
	int init = f & (SCIF_FENCE_INIT_SELF | SCIF_FENCE_INIT_PEER), sig = f & (SCIF_SIGNAL_LOCAL | SCIF_SIGNAL_REMOTE);
	if ((f & ~(SCIF_FENCE_INIT_SELF | SCIF_FENCE_INIT_PEER | SCIF_SIGNAL_LOCAL | SCIF_SIGNAL_REMOTE)) ||
	    (init != SCIF_FENCE_INIT_SELF && init != SCIF_FENCE_INIT_PEER) || !sig ||
	    ((f & SCIF_SIGNAL_LOCAL) && (lo & 3)) || ((f & SCIF_SIGNAL_REMOTE) && (ro & 3)))
		err = EINVAL;
	struct rma *m = err ? NULL : rma_of(e, &err, 0);
	if (m)
		err = rma_fence_signal(m, lo, lv, ro, rv, f);
	ep_put(e);
	return err ? fail(err) : (errno = se, 0);
}

API void *scif_mmap(void *addr, size_t len, int prot, int map, scif_epd_t epd, off_t offset)
{
	int se = errno;
	struct ep *e = ep_get(epd);
	if (!e)
		return SCIF_MMAP_FAILED;
	int err = 0;
	size_t rounded = (len + PAGE_MASK) & ~(size_t)PAGE_MASK;
	if (offset < 0 || ((uint64_t)offset & PAGE_MASK) || len == 0 || (prot & ~(SCIF_PROT_READ | SCIF_PROT_WRITE)) ||
	    (map & ~SCIF_MAP_FIXED) || ((map & SCIF_MAP_FIXED) && ((uintptr_t)addr & PAGE_MASK)))
		err = EINVAL;
	else if (rounded < len || !page_range(offset, rounded))
		err = ENOMEM;
	void *r = SCIF_MMAP_FAILED;
	struct rma *m = err ? NULL : rma_of(e, &err, 0);
	if (m)
		r = rma_mmap(m, addr, rounded, prot, map & SCIF_MAP_FIXED, offset, &err);
	ep_put(e);
	if (err) {
		errno = err;
		return SCIF_MMAP_FAILED;
	}
	errno = se;
	return r;
}

API int scif_munmap(void *addr, size_t len)
{
	int se = errno;
	if ((uintptr_t)addr & PAGE_MASK || len == 0)
		return fail(EINVAL);
	int err = rma_munmap(addr, (len + PAGE_MASK) & ~(size_t)PAGE_MASK);
	return err ? fail(err) : (errno = se, 0);
}
