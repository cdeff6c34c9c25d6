/*
 * cons: the console, a driver of the serial port (COM1). Output is written
 * to the UART as it comes; input arrives by interrupt (IRQ 4) and goes
 * through the terminal's line discipline (tty.c: termios as Linux's
 * n_tty follows them). Readers are held until input is there, and so are
 * readiness queries (poll); ^C, ^\ and ^Z become signals to the
 * foreground process group, sent through the process server
 * (NESTER_SIGNAL), and bits CONS_INTR and CONS_SUSP on the event a
 * native shell set. The nucleus writes its own lines to the same UART
 * (polling), so both outputs interleave by line at worst.
 *
 * Output also goes to the VGA text screen, and the PS/2 keyboard types
 * into the same line discipline, for when a display is attached.
 *
 * Slots given by the root nester: 5 the portal, 9 the name service, 12
 * the UART's ports (0x3f8-0x3ff), 13 the interrupt line 4, 14 VGA text
 * memory, 15 the PS/2 controller's ports (0x60-0x64), 16 the interrupt
 * line 1.
 */
#include <9p/portal.h>
#include <9p/synth.h>
#include <metta.h>
#include <metta/proto.h>
#include <server/server.h>
#include <metta/status.h>
#include <string/kstring.h>

#include "tty.h"

#define PORTAL	    5
#define PORTS	    12
#define IRQ	    13
#define IRQ_EVENT   30
#define FOREGROUND  32
#define VGA_MEM	    14
#define KBD_PORTS   15
#define KBD_IRQ	    16
#define KBD_EVENT   33
#define VGA_OBJECT  34
#define PROC	    35 /* the process server, looked up in names */
#define TIMER_EVENT 36
#define VGA_VA	    0x500000000000ull
#define COLS	    80
#define ROWS	    25
#define COM1	    0x3f8
#define ANSWER_MAX  8192

static uint8_t stacks[3][16384] __attribute__((aligned(16)));
static uint8_t input_stack[16384] __attribute__((aligned(16)));
static uint8_t timer_stack[16384] __attribute__((aligned(16)));
static uint8_t kbd_stack[16384] __attribute__((aligned(16)));
static volatile uint16_t *screen; /* NULL without VGA */
static int row, col;

static int have_foreground;

static struct metta_mutex mutex;
static struct p9srv fs;

static void take(void)
{
	metta_mutex_lock(&mutex);
}

static void give(void)
{
	metta_mutex_unlock(&mutex);
}

/* The VGA text screen: grey on black, scrolling at the bottom. */
static void screen_put(char c)
{
	if (!screen)
		return;
	if (c == '\n') {
		col = 0;
		row++;
	} else if (c == '\b') {
		if (col > 0)
			col--;
	} else if (c != '\r') {
		screen[row * COLS + col] = (uint16_t)(0x0700 | (uint8_t)c);
		if (++col == COLS) {
			col = 0;
			row++;
		}
	}
	if (row == ROWS) {
		for (int i = 0; i < (ROWS - 1) * COLS; i++)
			screen[i] = screen[i + COLS];
		for (int i = 0; i < COLS; i++)
			screen[(ROWS - 1) * COLS + i] = 0x0720;
		row = ROWS - 1;
	}
}

static void uart_put(char c)
{
	screen_put(c);
	for (int i = 0; i < 100000; i++)
		if (metta_ioport_in(PORTS, COM1 + 5, 1) & 0x20)
			break;
	metta_ioport_out(PORTS, COM1, 1, (uint8_t)c);
}

void cons_put(char c)
{
	uart_put(c);
}

/*
 * A signal the terminal decided on (tty_next_signal), sent without the
 * lock: to the process server for a group (its answer logged when it is
 * a refusal); with no foreground group, ^C and ^Z go to the event a
 * native shell set instead (msh ends its foreground program).
 */
static void tell_proc(long target, int sig)
{
	static int looked_up;
	if (!looked_up && metta_names_lookup("proc", PROC) != 0) {
		metta_printf("cons: no process server for signal %d to %ld",
			     sig, target);
		return;
	}
	looked_up = 1;
	uint64_t w[4] = { NESTER_SIGNAL, (uint64_t)target, (uint64_t)sig };
	long rc = metta_request(PROC, w, 0, 0, 0, 0, 0, 0, 0);
	if (rc != STATUS_OK)
		metta_printf("cons: signal %d to %ld refused: %s", sig, target,
			     status_text((int)rc));
}

static void send_signals(void)
{
	long target;
	int sig;
	for (;;) {
		take();
		int have = tty_next_signal(&target, &sig);
		give();
		if (!have)
			return;
		uint64_t bit = sig == LX_SIGINT	   ? CONS_INTR
			       : sig == LX_SIGTSTP ? CONS_SUSP
						   : 0;
		if (target)
			tell_proc(target, sig);
		else if (bit && have_foreground)
			metta_event_signal(FOREGROUND, bit);
	}
}

static int readers_can_go(void);
static void typed(int ready);

/*
 * Drains the UART on each interrupt. A byte that comes after the drain
 * but before the line is unmasked raises no new edge (the line stays
 * high), so after the acknowledgement the UART is looked at once more.
 */
static void input_thread(void)
{
	for (;;) {
		metta_event_wait(IRQ_EVENT, 1, 0);
		do {
			take();
			while (metta_ioport_in(PORTS, COM1 + 5, 1) & 1)
				tty_input(
				    (uint8_t)metta_ioport_in(PORTS, COM1, 1),
				    (uint64_t)metta_clock());
			int ready = readers_can_go();
			give();
			metta_irq_ack(IRQ);
			typed(ready);
		} while (metta_ioport_in(PORTS, COM1 + 5, 1) & 1);
	}
}

/* PS/2 scan code set 1 to ASCII, US layout: unshifted and shifted. */
static const char keymap[2][58] = {
	{ 0,   27,  '1',  '2',	'3',  '4', '5', '6',  '7', '8', '9', '0',
	  '-', '=', '\b', '\t', 'q',  'w', 'e', 'r',  't', 'y', 'u', 'i',
	  'o', 'p', '[',  ']',	'\n', 0,   'a', 's',  'd', 'f', 'g', 'h',
	  'j', 'k', 'l',  ';',	'\'', '`', 0,	'\\', 'z', 'x', 'c', 'v',
	  'b', 'n', 'm',  ',',	'.',  '/', 0,	'*',  0,   ' ' },
	{ 0,   27,  '!',  '@',	'#',  '$', '%', '^', '&', '*', '(', ')',
	  '_', '+', '\b', '\t', 'Q',  'W', 'E', 'R', 'T', 'Y', 'U', 'I',
	  'O', 'P', '{',  '}',	'\n', 0,   'A', 'S', 'D', 'F', 'G', 'H',
	  'J', 'K', 'L',  ':',	'"',  '~', 0,	'|', 'Z', 'X', 'C', 'V',
	  'B', 'N', 'M',  '<',	'>',  '?', 0,	'*', 0,	  ' ' },
};

static char translate(uint8_t code)
{
	static int shift, ctrl;
	int up = code & 0x80;
	uint8_t key = code & 0x7f;
	if (key == 0x2a || key == 0x36) { /* shift */
		shift = !up;
		return 0;
	}
	if (key == 0x1d) { /* ctrl */
		ctrl = !up;
		return 0;
	}
	if (up || key >= sizeof(keymap[0]))
		return 0;
	char c = keymap[shift][key];
	if (ctrl && c >= 'a' && c <= 'z')
		return (char)(c - 'a' + 1); /* ^C is 3, ^D 4, ^U 21, ^Z 26 */
	return c;
}

static void keyboard_thread(void)
{
	for (;;) {
		metta_event_wait(KBD_EVENT, 1, 0);
		do { /* as the UART: a code after the drain raised no edge */
			take();
			while (metta_ioport_in(KBD_PORTS, 0x64, 1) & 1) {
				char c = translate((uint8_t)metta_ioport_in(
				    KBD_PORTS, 0x60, 1));
				if (c)
					tty_input((uint8_t)c,
						  (uint64_t)metta_clock());
			}
			int ready = readers_can_go();
			give();
			metta_irq_ack(KBD_IRQ);
			typed(ready);
		} while (metta_ioport_in(KBD_PORTS, 0x64, 1) & 1);
	}
}

/* The screen and keyboard are optional: without them, serial only. */
static void start_display(void)
{
	if (metta_mem_phys(VGA_MEM, VGA_OBJECT, 0xb8000, 1) ||
	    metta_mem_map(CAP_SELF, VGA_OBJECT, 0, VGA_VA, 1,
			  RIGHT_READ | RIGHT_WRITE))
		return;
	screen = (volatile uint16_t *)VGA_VA;
	for (int i = 0; i < ROWS * COLS; i++)
		screen[i] = 0x0720;
	/* The controller: keyboard on, its interrupt on, codes translated
	 * to set 1 (configuration byte bits 0 and 6). */
	metta_ioport_out(KBD_PORTS, 0x64, 1, 0xae);
	metta_ioport_out(KBD_PORTS, 0x64, 1, 0x20);
	for (int i = 0; i < 10000 && !(metta_ioport_in(KBD_PORTS, 0x64, 1) & 1);
	     i++)
		;
	uint8_t config = (uint8_t)metta_ioport_in(KBD_PORTS, 0x60, 1);
	metta_ioport_out(KBD_PORTS, 0x64, 1, 0x60);
	metta_ioport_out(KBD_PORTS, 0x60, 1, config | 0x41);
	uint32_t t = metta_slot_alloc();
	if (metta_event_create(KBD_EVENT) ||
	    metta_irq_bind(KBD_IRQ, KBD_EVENT, 1) ||
	    metta_thread_create(CAP_SELF, t, (uint64_t)keyboard_thread,
				(uint64_t)&kbd_stack[sizeof(kbd_stack)] - 8,
				METTA_PRIO_HIGH) ||
	    metta_thread_ctl(t, THREAD_START, 0))
		metta_printf("cons: no keyboard");
}

static void cons_write(const uint8_t *data, uint64_t n)
{
	take();
	tty_output(data, n);
	give();
}

static long op_write(struct server_call *c)
{
	cons_write(c->data, c->len);
	return STATUS_OK;
}

/*
 * Waiting for input, in the order they came: readers (a 9P read held by
 * the server library, or a CONS_READ call held in a reply capability) and
 * readiness queries (a 9P read with READY_QUERY). Nobody blocks: the
 * input and timer threads answer them when input (or VTIME) lets them.
 */
struct waiter {
	struct p9srv_req *req; /* a 9P read, or 0 */
	uint32_t slot;	       /* a CONS_READ call's reply capability */
	uint64_t cookie;       /* ... and the cookie it was held with */
	uint32_t max;
	uint8_t query;	/* a readiness query: its interest (READY_*) */
	uint64_t since; /* when it came (ns): VTIME */
};
#define MAX_WAITERS 32
static struct waiter waiters[MAX_WAITERS];
static int nwaiters;
static uint8_t answer_data[ANSWER_MAX];

static void remove_waiter(int i)
{
	for (; i + 1 < nwaiters; i++)
		waiters[i] = waiters[i + 1];
	nwaiters--;
}

static uint8_t readiness(uint8_t interest)
{
	return (
	    uint8_t)(((interest & READY_IN) && tty_readable() ? READY_IN : 0) |
		     (interest & READY_OUT));
}

/* 0, or 1 when the waiter's caller is gone. */
static int answer(const struct waiter *w, const uint8_t *data, long n)
{
	if (w->req)
		return p9srv_respond_read(w->req, data, (uint32_t)n) != 0;
	return server_answer(w->slot, STATUS_OK, 0, data, (uint64_t)n) !=
	       STATUS_OK;
}

static int timed_out(const struct waiter *w, uint64_t now)
{
	uint64_t d = tty_deadline(w->since);
	return d && now >= d;
}

/* Under both locks: answers every query that is ready, and readers in
 * order while there is input for the first. */
static void serve_waiters(void)
{
	uint64_t now = (uint64_t)metta_clock();
	int i = 0, readers_blocked = 0;
	while (i < nwaiters) {
		struct waiter w = waiters[i];
		if (w.query) {
			uint8_t r = readiness(w.query);
			if (!r) {
				i++;
				continue;
			}
			remove_waiter(i);
			answer(&w, &r, 1);
			continue;
		}
		uint32_t max = w.max < ANSWER_MAX ? w.max : ANSWER_MAX;
		long got = readers_blocked ? -1
					   : tty_take(answer_data, max, 0,
						      timed_out(&w, now));
		if (got < 0) {
			readers_blocked = 1;
			i++;
			continue;
		}
		remove_waiter(i);
		if (!answer(&w, answer_data, got)) /* taken only if it went */
			tty_take(answer_data, max, 1, timed_out(&w, now));
	}
}

/* A 9P read held by the library ended unanswered (flushed, hung up). */
static void forget(struct p9srv_req *r)
{
	take();
	for (int i = 0; i < nwaiters; i++)
		if (waiters[i].req == r) {
			remove_waiter(i);
			break;
		}
	give();
}

/* A held CONS_READ caller gave up. */
static void cancelled(uint64_t cookie)
{
	take();
	for (int i = 0; i < nwaiters; i++)
		if (!waiters[i].req && waiters[i].cookie == cookie) {
			metta_cap_delete(waiters[i].slot);
			remove_waiter(i);
			break;
		}
	give();
}

static int readers_waiting(void)
{
	for (int i = 0; i < nwaiters; i++)
		if (!waiters[i].query)
			return 1;
	return 0;
}

/*
 * A read: what there is now, or -1 after queueing the reader (to be held
 * by the caller, which takes it back out when it cannot). Readers queued
 * before take the input first. Under both locks.
 */
static long read_or_wait(uint8_t *buf, uint32_t max, struct waiter w)
{
	long got = readers_waiting() ? -1 : tty_take(buf, max, 1, 0);
	if (got >= 0)
		return got;
	if (nwaiters == MAX_WAITERS)
		return -P9_EBUSY;
	w.max = max;
	w.since = (uint64_t)metta_clock();
	waiters[nwaiters++] = w;
	metta_event_signal(TIMER_EVENT, 1); /* a VTIME to time, maybe */
	return -1;
}

/* Whether a waiter can be answered now (under the cons lock: waiters
 * queue under it too, so none is missed). Typing that completes
 * nothing costs the input threads no trip through the 9P lock. */
static int readers_can_go(void)
{
	return nwaiters && tty_readable();
}

/* Input arrived, or a VTIME ran out (holding neither lock). */
static void input_arrived(void)
{
	p9_portal_lock();
	take();
	serve_waiters();
	give();
	p9_portal_unlock();
}

/* After the input threads took bytes: the signals they made, the
 * interbyte timer (VTIME) restarted, and readers answered. */
static void typed(int ready)
{
	send_signals();
	metta_event_signal(TIMER_EVENT, 1);
	if (ready)
		input_arrived();
}

/* The earliest VTIME of a reader, 0: none (under the lock). */
static uint64_t next_deadline(void)
{
	for (int i = 0; i < nwaiters; i++)
		if (!waiters[i].query)
			return tty_deadline(waiters[i].since); /* the first */
	return 0;
}

/* Answers readers whose VTIME ran out; sleeps until the next one, or
 * until a reader or input comes (TIMER_EVENT). */
static void timer_thread(void)
{
	for (;;) {
		take();
		uint64_t next = next_deadline();
		give();
		uint64_t now = (uint64_t)metta_clock();
		if (next && next <= now) {
			input_arrived();
			continue;
		}
		metta_event_wait(TIMER_EVENT, 1,
				 next ? (next - now) / 1000 + 1 : 0);
	}
}

static long op_read(struct server_call *c)
{
	static uint64_t next_cookie;
	uint64_t max = c->w[1] ? c->w[1] : 1;
	if (max > SERVER_BUF)
		max = SERVER_BUF;
	p9_portal_lock();
	take();
	struct waiter w = { .cookie = P9_PORTAL_OWN_COOKIE | ++next_cookie };
	long got = read_or_wait(c->reply, (uint32_t)max, w);
	if (got == -1) {
		/* Queued: keep the caller, or take it back out. */
		waiters[nwaiters - 1].slot = server_hold(w.cookie);
		if (waiters[nwaiters - 1].slot)
			got = SERVER_HELD;
		else
			nwaiters--, got = STATUS_ERR_QUOTA;
	}
	give();
	p9_portal_unlock();
	if (got < 0 || got == SERVER_HELD)
		return got == -P9_EBUSY ? STATUS_ERR_BUSY : got;
	c->reply_len = (uint64_t)got;
	return STATUS_OK;
}

/* ---- the same as files over 9P (docs/servers.md) ---- */

/* Queued by read_or_wait or here: held, or taken back out (-EBUSY). */
static long hold_last(void)
{
	struct p9srv_req *r = p9srv_hold(&fs);
	if (!r) {
		nwaiters--;
		return -P9_EBUSY;
	}
	waiters[nwaiters - 1].req = r;
	return P9SRV_HELD;
}

/* A readiness query: the answer now, or held until there is one. */
static long query(uint64_t offset, uint8_t *buf)
{
	uint8_t interest = (uint8_t)(offset & (READY_IN | READY_OUT));
	uint8_t r = readiness(interest);
	if (r || !interest || (offset & PIPE_NOWAIT)) {
		buf[0] = r;
		return 1;
	}
	if (nwaiters == MAX_WAITERS)
		return -P9_EBUSY;
	waiters[nwaiters++] = (struct waiter){ .query = interest };
	return hold_last();
}

/* cons and tty: a read of the terminal, job control first. */
static long terminal_read(uint64_t offset, void *buf, uint32_t count)
{
	take();
	long got = offset & READY_QUERY ? query(offset, buf)
					: tty_job_control(offset, LX_SIGTTIN);
	if (got == 0 && !(offset & READY_QUERY)) {
		got = read_or_wait(buf, count, (struct waiter){ 0 });
		if (got == -1 && (offset & PIPE_NOWAIT))
			nwaiters--, got = -P9_EAGAIN;
		else if (got == -1)
			got = hold_last();
	}
	give();
	send_signals(); /* SIGTTIN */
	return got;
}

static long terminal_write(uint64_t offset, const void *data, uint32_t count)
{
	take();
	long rc = tty_job_control(offset, LX_SIGTTOU);
	if (rc == 0)
		tty_output(data, count);
	give();
	send_signals();
	return rc ? rc : count;
}

static long ctl_read(uint64_t offset, void *buf, uint32_t count)
{
	static char text[512];
	take();
	long n = tty_ctl_read(text, sizeof(text));
	give();
	return p9synth_text(text, n > 0 ? (size_t)n : 0, offset, buf, count);
}

static long ctl_write(uint64_t offset, const void *data, uint32_t count)
{
	take();
	long rc = tty_ctl_write(data, count, offset);
	serve_waiters(); /* leaving canonical mode may let readers go */
	give();
	send_signals();
	return rc;
}

static long file_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		      uint64_t offset, void *buf, uint32_t count)
{
	(void)ctx, (void)inst;
	if (!strcmp(e->name, "zero")) {
		memset(buf, 0, count);
		return count;
	}
	if (!strcmp(e->name, "null") || count == 0)
		return 0;
	/* Under the 9P lock already. */
	if (!strcmp(e->name, "consctl"))
		return ctl_read(offset, buf, count);
	return terminal_read(offset, buf, count);
}

static long file_write(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		       uint64_t offset, const void *data, uint32_t count)
{
	(void)ctx, (void)inst;
	if (!strcmp(e->name, "consctl"))
		return ctl_write(offset, data, count);
	if (!strcmp(e->name, "cons") || !strcmp(e->name, "tty"))
		return terminal_write(offset, data, count);
	return count; /* null and zero swallow it */
}

static const struct p9synth_entry files[] = {
	{ "/", 0, P9_DMDIR | 0555, 0, 0, 0, 0, 0 },
	{ "cons", 1, 0666, 0, file_read, file_write, 0, 0 },
	{ "null", 2, 0666, 0, file_read, file_write, 0, 0 },
	{ "zero", 3, 0666, 0, file_read, file_write, 0, 0 },
	{ "consctl", 4, 0666, 0, file_read, file_write, 0, 0 },
	{ "tty", 5, 0666, 0, file_read, file_write, 0, 0 },
};
static struct p9synth tree;
static P9SRV_STORAGE(fs_store, 32, 32);

/* A native shell's foreground group (0: none), as TIOCSPGRP sets it. */
static long op_set_pgrp(struct server_call *c)
{
	if (c->w[1] > 0x7fffffff)
		return STATUS_ERR_INVAL;
	take();
	tty_set_pgrp((uint32_t)c->w[1]);
	give();
	return STATUS_OK;
}

static long op_save(struct server_call *c)
{
	(void)c;
	take();
	tty_save();
	give();
	return STATUS_OK;
}

static long op_restore(struct server_call *c)
{
	(void)c;
	take();
	tty_restore();
	give();
	input_arrived(); /* canonical or not, readers may go now */
	return STATUS_OK;
}

static long op_set_foreground(struct server_call *c)
{
	if (!c->cap_in || (metta_cap_info(c->cap_in) >> 32) != OBJ_EVENT)
		return STATUS_ERR_INVAL;
	metta_cap_delete(FOREGROUND);
	metta_cap_move(c->cap_in, FOREGROUND);
	have_foreground = 1;
	return STATUS_OK;
}

static const server_op ops[] = {
	[CONS_WRITE] = op_write,
	[CONS_READ] = op_read,
	[CONS_SET_PGRP] = op_set_pgrp,
	[CONS_SET_FOREGROUND] = op_set_foreground,
	[CONS_SAVE] = op_save,
	[CONS_RESTORE] = op_restore,
	P9_PORTAL_OPS,
};

static const struct server cons = { PORTAL, ops, sizeof(ops) / sizeof(ops[0]) };

static int start_thread(void (*fn)(void), uint8_t *stack, size_t size)
{
	uint32_t t = metta_slot_alloc();
	return metta_thread_create(CAP_SELF, t, (uint64_t)fn,
				   (uint64_t)stack + size - 8,
				   METTA_PRIO_HIGH) ||
	       metta_thread_ctl(t, THREAD_START, 0);
}

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	if (metta_mutex_init(&mutex) || metta_event_create(IRQ_EVENT) ||
	    metta_event_create(TIMER_EVENT) ||
	    metta_irq_bind(IRQ, IRQ_EVENT, 1))
		return 1;
	tty_init();
	start_display();
	p9synth_init(&tree, files, sizeof(files) / sizeof(files[0]), "root", 0);
	tree.type = 'c'; /* devices: character special files to programs */
	p9srv_init(&fs, &p9synth_ops, &tree, P9_PORTAL_MSIZE,
		   P9SRV_STORAGE_ARGS(fs_store));
	p9_portal_init(&fs, PORTAL);
	fs.forget = forget;
	p9_portal_on_cancel(cancelled);
	/* Receive interrupts on; OUT2 lets the UART's interrupt reach the PIC.
	 */
	metta_ioport_out(PORTS, COM1 + 1, 1, 0x01);
	metta_ioport_out(PORTS, COM1 + 4, 1, 0x0b);
	if (start_thread(input_thread, input_stack, sizeof(input_stack)) ||
	    start_thread(timer_thread, timer_stack, sizeof(timer_stack)))
		return 2;
	/* Three threads: readers may block while writers are served. */
	if (server_spawn_threads(&cons, 4, stacks))
		return 3;
	server_run(&cons);
}
