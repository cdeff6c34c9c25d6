/*
 * cons: the console, a driver of the serial port (COM1). Output is written
 * to the UART as it comes; input arrives by interrupt (IRQ 4) and goes
 * through a line discipline: echo, backspace, ^U (erase the line), ^D
 * (end of input on an empty line), ^C and ^Z (bits CONS_INTR and
 * CONS_SUSP signalled on the foreground event the shell set), or raw mode
 * for programs that ask. The nucleus writes its own lines to the same
 * UART (polling), so both outputs interleave by line at worst.
 *
 * Output also goes to the VGA text screen, and the PS/2 keyboard types
 * into the same line discipline, for when a display is attached.
 *
 * Slots given by the root nester: 5 the portal, 12 the UART's ports
 * (0x3f8-0x3ff), 13 the interrupt line 4, 14 VGA text memory, 15 the
 * PS/2 controller's ports (0x60-0x64), 16 the interrupt line 1.
 */
#include <9p/portal.h>
#include <9p/synth.h>
#include <metta.h>
#include <metta/proto.h>
#include <server/server.h>
#include <string/kstring.h>

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
#define VGA_VA	    0x500000000000ull
#define COLS	    80
#define ROWS	    25
#define COM1	    0x3f8
#define LINE_MAX    1024
#define QUEUE	    4096

static uint8_t stacks[3][16384] __attribute__((aligned(16)));
static uint8_t input_stack[16384] __attribute__((aligned(16)));
static uint8_t kbd_stack[16384] __attribute__((aligned(16)));
static volatile uint16_t *screen; /* NULL without VGA */
static int row, col;

static int raw, have_foreground;
static char line[LINE_MAX];
static int line_len;
/* Bytes ready for readers: whole lines (cooked) or anything (raw). */
static char queue[QUEUE];
static int qhead, qtail, eofs;

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

static void echo(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			uart_put('\r');
		uart_put(*s);
	}
}

static void enqueue(const char *s, int n)
{
	for (int i = 0; i < n && (qtail + 1) % QUEUE != qhead; i++) {
		queue[qtail] = s[i];
		qtail = (qtail + 1) % QUEUE;
	}
}

static void signal_foreground(uint64_t bit)
{
	if (have_foreground)
		metta_event_signal(FOREGROUND, bit);
}

/* The line discipline, one input byte at a time (lock held). */
static void discipline(char c)
{
	if (raw) {
		enqueue(&c, 1);
		return;
	}
	switch (c) {
	case '\r':
	case '\n':
		line[line_len++] = '\n';
		echo("\n");
		enqueue(line, line_len);
		line_len = 0;
		return;
	case 0x7f:
	case '\b':
		if (line_len > 0) {
			line_len--;
			echo("\b \b");
		}
		return;
	case 0x15: /* ^U */
		while (line_len > 0) {
			line_len--;
			echo("\b \b");
		}
		return;
	case 0x03: /* ^C */
		line_len = 0;
		echo("^C\n");
		signal_foreground(CONS_INTR);
		return;
	case 0x1a: /* ^Z */
		echo("^Z\n");
		signal_foreground(CONS_SUSP);
		return;
	case 0x04: /* ^D: end of input on an empty line */
		if (line_len == 0)
			eofs++;
		return;
	default:
		if (line_len < LINE_MAX - 1 && (c >= ' ' || c == '\t')) {
			line[line_len++] = c;
			char s[2] = { c, 0 };
			echo(s);
		}
	}
}

static void input_arrived(void);
static int readers_can_go(void);

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
				discipline(
				    (char)metta_ioport_in(PORTS, COM1, 1));
			int ready = readers_can_go();
			give();
			metta_irq_ack(IRQ);
			if (ready)
				input_arrived();
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
					discipline(c);
			}
			int ready = readers_can_go();
			give();
			metta_irq_ack(KBD_IRQ);
			if (ready)
				input_arrived();
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
	for (uint64_t i = 0; i < n; i++) {
		if (data[i] == '\n')
			uart_put('\r');
		uart_put((char)data[i]);
	}
	give();
}

static long op_write(struct server_call *c)
{
	cons_write(c->data, c->len);
	return STATUS_OK;
}

/*
 * Takes what a reader may have now: a line, raw bytes, or end of input
 * (0 bytes). Returns the count, or -1 when there is nothing yet.
 */
static long try_read(uint8_t *buf, uint64_t max)
{
	if (qhead == qtail) {
		if (!eofs)
			return -1;
		eofs--;
		return 0;
	}
	uint64_t n = 0;
	while (qhead != qtail && n < max) {
		char ch = queue[qhead];
		buf[n++] = (uint8_t)ch;
		qhead = (qhead + 1) % QUEUE;
		if (!raw && ch == '\n')
			break;
	}
	return (long)n;
}

/* Puts back what a reader who gave up meanwhile was handed. */
static void unread(const uint8_t *buf, long n)
{
	if (n == 0)
		eofs++;
	for (long i = n - 1; i >= 0; i--) {
		qhead = (qhead + QUEUE - 1) % QUEUE;
		queue[qhead] = (char)buf[i];
	}
}

/*
 * Readers waiting for input, in the order they came: a 9P read held by
 * the server library, or a CONS_READ call held in a reply capability.
 * Nobody blocks: a read that finds nothing is held, and the input
 * threads answer it when a line (or raw bytes, or ^D) arrives.
 */
struct waiter {
	struct p9srv_req *req; /* a 9P read, or 0 */
	uint32_t slot;	       /* a CONS_READ call's reply capability */
	uint64_t cookie;       /* ... and the cookie it was held with */
	uint32_t max;
};
#define MAX_WAITERS 32
static struct waiter waiters[MAX_WAITERS];
static int nwaiters;
static uint8_t answer_data[QUEUE];

static void remove_waiter(int i)
{
	for (; i + 1 < nwaiters; i++)
		waiters[i] = waiters[i + 1];
	nwaiters--;
}

/* Under both locks: answers waiting readers while there is input. */
static void serve_waiters(void)
{
	while (nwaiters) {
		struct waiter w = waiters[0];
		long got = try_read(answer_data, w.max < QUEUE ? w.max : QUEUE);
		if (got < 0)
			return;
		remove_waiter(0);
		int gone = w.req ? p9srv_respond_read(w.req, answer_data,
						      (uint32_t)got) != 0
				 : server_answer(w.slot, STATUS_OK, 0,
						 answer_data, (uint64_t)got) !=
				       STATUS_OK;
		if (gone)
			unread(answer_data, got); /* for the next reader */
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

/*
 * A read: what there is now, or -1 after queueing the reader (held by
 * `hold`, which gives 0 when it cannot). Readers queued before take the
 * input first. Under both locks.
 */
static long read_or_wait(uint8_t *buf, uint32_t max, struct waiter w)
{
	long got = nwaiters ? -1 : try_read(buf, max);
	if (got >= 0)
		return got;
	if (nwaiters == MAX_WAITERS)
		return -P9_EBUSY;
	w.max = max;
	waiters[nwaiters++] = w;
	return -1;
}

/* Whether a waiting reader can be answered now (under the cons lock: a
 * reader queues under it too, so none is missed). Typing that completes
 * nothing costs the input threads no trip through the 9P lock. */
static int readers_can_go(void)
{
	return nwaiters && (qhead != qtail || eofs);
}

/* Input arrived (called by the input threads, holding neither lock). */
static void input_arrived(void)
{
	p9_portal_lock();
	take();
	serve_waiters();
	give();
	p9_portal_unlock();
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

/* ---- the same as files over 9P: cons, null and zero (as Plan 9's #c) ---- */

static long file_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		      uint64_t offset, void *buf, uint32_t count)
{
	(void)ctx, (void)inst, (void)offset;
	if (!strcmp(e->name, "zero")) {
		memset(buf, 0, count);
		return count;
	}
	if (!strcmp(e->name, "null") || count == 0)
		return 0;
	/* Under the 9P lock already. */
	take();
	long got = read_or_wait(buf, count, (struct waiter){ 0 });
	if (got == -1) {
		struct p9srv_req *r = p9srv_hold(&fs);
		if (r)
			waiters[nwaiters - 1].req = r, got = P9SRV_HELD;
		else
			nwaiters--, got = -P9_EBUSY;
	}
	give();
	return got;
}

static long file_write(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		       uint64_t offset, const void *data, uint32_t count)
{
	(void)ctx, (void)inst, (void)offset;
	if (!strcmp(e->name, "cons"))
		cons_write(data, count);
	return count; /* null and zero swallow it */
}

static const struct p9synth_entry files[] = {
	{ "/", 0, P9_DMDIR | 0555, 0, 0, 0, 0, 0 },
	{ "cons", 1, 0666, 0, file_read, file_write, 0, 0 },
	{ "null", 2, 0666, 0, file_read, file_write, 0, 0 },
	{ "zero", 3, 0666, 0, file_read, file_write, 0, 0 },
};
static struct p9synth tree;
static P9SRV_STORAGE(fs_store, 32, 32);

static long op_set_raw(struct server_call *c)
{
	take();
	raw = c->w[1] != 0;
	give();
	input_arrived(); /* raw bytes may satisfy a waiting reader now */
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
	[CONS_SET_RAW] = op_set_raw,
	[CONS_SET_FOREGROUND] = op_set_foreground,
	P9_PORTAL_OPS,
};

static const struct server cons = { PORTAL, ops, sizeof(ops) / sizeof(ops[0]) };

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	if (metta_mutex_init(&mutex) || metta_event_create(IRQ_EVENT) ||
	    metta_irq_bind(IRQ, IRQ_EVENT, 1))
		return 1;
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
	uint32_t t = metta_slot_alloc();
	if (metta_thread_create(CAP_SELF, t, (uint64_t)input_thread,
				(uint64_t)&input_stack[sizeof(input_stack)] - 8,
				METTA_PRIO_HIGH) ||
	    metta_thread_ctl(t, THREAD_START, 0))
		return 2;
	/* Three threads: readers may block while writers are served. */
	if (server_spawn_threads(&cons, 4, stacks))
		return 3;
	server_run(&cons);
}
